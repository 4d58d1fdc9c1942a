import DMLNode
import DMLStore
import Testing

/// The benchmark's workloads, run small: every transaction must succeed and every invariant hold
/// (the numbers themselves are measured by `dml bench`, never asserted here).
@Suite struct BenchmarkTests {
    @Test func theMixedMarketplaceWorkloadSucceedsEntirely() async throws {
        var configuration = LedgerBenchmark.Configuration()
        configuration.transactions = 500
        configuration.accounts = 50
        let rate = try await LedgerBenchmark(configuration).runMixed(lanes: 6, on: .sqlite(path: Fixtures.temporaryDirectory() + "/mixed.sqlite"))
        #expect(rate > 0)
        #expect(MixedWorkload(lanes: 6).transactionCount == 6 * MixedWorkload.transactionsPerLane)
    }

    @Test func theTransferBenchmarkRunsAndRestarts() async throws {
        var configuration = LedgerBenchmark.Configuration()
        configuration.transactions = 400
        configuration.accounts = 40
        configuration.submitters = 4
        let result = try await LedgerBenchmark(configuration).run(on: .sqlite(path: Fixtures.temporaryDirectory() + "/bench.sqlite"))
        #expect(result.transactions == 400)
        #expect(result.logBytesPerTransaction > 184)
    }
}
