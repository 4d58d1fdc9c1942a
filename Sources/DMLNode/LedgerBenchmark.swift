import DMLCore
import DMLLedger
import DMLStore
import Foundation

/// The ledger benchmark: end-to-end signed transfers per second (parallel verification,
/// ordered application, durable commit), beside the raw Ed25519 verification rate measured in
/// the same run on the same cores; restart time; bytes of log per transaction.
public struct LedgerBenchmark {
    public struct Configuration: Sendable {
        public var transactions = 100_000
        public var accounts = 10_000
        public var submitters = 32
        public var cores = ProcessInfo.processInfo.activeProcessorCount
        public init() {}
    }

    public struct Result: Sendable, CustomStringConvertible {
        public let location: String
        /// The mixed marketplace workload's rate, if it was run.
        public var mixedTransactionsPerSecond: Double?
        public let transactions: Int
        public let blocks: UInt64
        public let seconds: Double
        public let verificationsPerSecond: Double
        public let restartSeconds: Double
        public let restartFromSnapshotSeconds: Double
        public let logBytesPerTransaction: Double

        public var transfersPerSecond: Double { Double(transactions) / seconds }

        public var description: String {
            """
            log:                       \(location)
            transfers:                 \(transactions) in \(blocks) blocks, \(String(format: "%.2f", seconds)) s
            durable transfers/s:       \(Int(transfersPerSecond))
            ed25519 verifications/s:   \(Int(verificationsPerSecond)) (same cores, same run)
            ratio:                     \(String(format: "%.2f", transfersPerSecond / verificationsPerSecond))
            restart (replay all):      \(String(format: "%.2f", restartSeconds)) s
            restart (from snapshot):   \(String(format: "%.3f", restartFromSnapshotSeconds)) s
            log bytes per transaction: \(String(format: "%.1f", logBytesPerTransaction))
            """ + (mixedTransactionsPerSecond.map {
                "\nmixed marketplace tx/s:    \(Int($0)) (\(String(format: "%.2f", $0 / transfersPerSecond)) of the transfer rate)"
            } ?? "")
        }
    }

    let configuration: Configuration

    public init(_ configuration: Configuration) { self.configuration = configuration }

    public func run(on location: DatabaseLocation, progress: (String) -> Void = { _ in }) async throws -> Result {
        let keys = (0..<configuration.accounts).map { AccountKey.insecureDerived(from: "bench-\($0)") }
        let spec = ChainSpec(
            name: "dml-bench", isDevelopment: true, genesisTimestampMilliseconds: 1_700_000_000_000,
            allocations: keys.map { .init($0.account, .tokens(1_000_000)!) }, superAdmins: [keys[0].account])
        progress("signing \(configuration.transactions) transfers…")
        let transactions = await signTransfers(keys: keys, chain: spec.id)

        progress("measuring raw Ed25519 verification…")
        let sample = Array(transactions.prefix(min(transactions.count, 40_000)))
        let verifyStart = ContinuousClock.now
        _ = await ParallelVerifier.verify(sample, chain: spec.id, cores: configuration.cores)
        let verificationsPerSecond = Double(sample.count) / (ContinuousClock.now - verifyStart).seconds

        progress("running the sequencer on \(location)…")
        var service = LedgerService.Configuration()
        service.snapshotIntervalBlocks = 0
        let chain = try await LocalChain.open(location, spec: spec, configuration: service, logger: quietBenchmarkLogger())
        let start = ContinuousClock.now
        // Each submitter owns whole accounts, so per-account nonce order is kept.
        let partitions = partition(transactions, into: configuration.submitters)
        let failures = await withTaskGroup(of: Int.self) { group in
            for part in partitions {
                group.addTask {
                    var failed = 0
                    for chunk in stride(from: 0, to: part.count, by: 1_024) {
                        let outcomes = await chain.service.submit(batch: Array(part[chunk..<min(part.count, chunk + 1_024)]))
                        failed += outcomes.filter { if case .failure = $0 { true } else { false } }.count
                    }
                    return failed
                }
            }
            return await group.reduce(0, +)
        }
        let seconds = (ContinuousClock.now - start).seconds
        let head = await chain.service.head
        await chain.close()
        guard failures == 0 else { throw BenchmarkFailure(message: "\(failures) transfers failed") }

        progress("measuring restart…")
        let log = try await BlockLog.open(location, logger: quietBenchmarkLogger())
        let bytes: Int, restartSeconds: Double, restartFromSnapshotSeconds: Double
        // The log is closed on every path: an open connection's deinit asserts in debug builds.
        do {
            bytes = try await log.storedBlockBytes()
            let replayStart = ContinuousClock.now
            let (ledger, _) = try await LedgerRestore.open(log: log)
            restartSeconds = (ContinuousClock.now - replayStart).seconds
            guard ledger.head == head else { throw BenchmarkFailure(message: "restart reached a different head") }
            try await log.saveSnapshot(height: head.height, stateRoot: head.stateRoot, entries: ledger.state.sortedEntries())
            let snapshotStart = ContinuousClock.now
            let (fromSnapshot, report) = try await LedgerRestore.open(log: log)
            restartFromSnapshotSeconds = (ContinuousClock.now - snapshotStart).seconds
            guard fromSnapshot.head == head, report.snapshotHeight == head.height else {
                throw BenchmarkFailure(message: "restart from snapshot reached a different head")
            }
        } catch {
            await log.close()
            throw error
        }
        await log.close()
        return Result(
            location: "\(location)", mixedTransactionsPerSecond: nil, transactions: transactions.count, blocks: head.height, seconds: seconds,
            verificationsPerSecond: verificationsPerSecond, restartSeconds: restartSeconds,
            restartFromSnapshotSeconds: restartFromSnapshotSeconds,
            logBytesPerTransaction: Double(bytes) / Double(transactions.count))
    }

    /// The mixed marketplace workload (see `MixedWorkload`) on a fresh chain at `location`:
    /// transactions per second, each counted when durable; every one must succeed.
    public func runMixed(lanes: Int, on location: DatabaseLocation, progress: (String) -> Void = { _ in }) async throws -> Double {
        progress("signing a mixed workload of \(lanes) lanes…")
        let workload = MixedWorkload(lanes: lanes)
        var service = LedgerService.Configuration()
        service.snapshotIntervalBlocks = 0
        let chain = try await LocalChain.open(location, spec: workload.spec, configuration: service, logger: quietBenchmarkLogger())
        progress("running the mixed workload…")
        let start = ContinuousClock.now
        var failures: [LedgerService.SubmitError] = []
        for chunk in stride(from: 0, to: workload.creations.count, by: 4_096) {
            let outcomes = await chain.service.submit(batch: Array(workload.creations[chunk..<min(workload.creations.count, chunk + 4_096)]))
            failures += outcomes.compactMap { if case .failure(let error) = $0 { error } else { nil } }
        }
        failures += await withTaskGroup(of: [LedgerService.SubmitError].self) { group in
            // A bounded number of submitters, each running whole lanes in order.
            let submitters = min(64, workload.lanes.count)
            for submitter in 0..<submitters {
                let lanes = stride(from: submitter, to: workload.lanes.count, by: submitters).map { workload.lanes[$0] }
                group.addTask {
                    var failed: [LedgerService.SubmitError] = []
                    for lane in lanes {
                        let outcomes = await chain.service.submit(batch: lane)
                        failed += outcomes.compactMap { if case .failure(let error) = $0 { error } else { nil } }
                    }
                    return failed
                }
            }
            return await group.reduce([], +)
        }
        let seconds = (ContinuousClock.now - start).seconds
        let violations = await chain.service.ledger.invariantViolations()
        await chain.close()
        guard failures.isEmpty else {
            throw BenchmarkFailure(message: "\(failures.count) mixed transactions failed, the first with: \(failures[0])")
        }
        guard violations.isEmpty else { throw BenchmarkFailure(message: "invariants broken: \(violations)") }
        return Double(workload.transactionCount) / seconds
    }

    /// Round-robin transfers: transaction i is sent by account i mod n, to a random account.
    private func signTransfers(keys: [AccountKey], chain: Hash256) async -> [SignedTransaction] {
        let count = configuration.transactions
        let cores = configuration.cores
        let parts = await withTaskGroup(of: (Int, [SignedTransaction]).self) { group in
            for core in 0..<cores {
                group.addTask {
                    var random = SeededGenerator(seed: UInt64(core))
                    var signed: [SignedTransaction] = []
                    for index in stride(from: core, to: count, by: cores) {
                        let sender = keys[index % keys.count]
                        let recipient = keys[Int.random(in: 0..<keys.count, using: &random)].account
                        let call = BalancesCall.transfer(to: recipient == sender.account ? keys[(index + 1) % keys.count].account : recipient,
                                                         amount: Amount(baseUnits: UInt64.random(in: 1...1_000, using: &random))).call
                        signed.append(SignedTransaction(chain: chain, key: sender, nonce: UInt64(index / keys.count), call: call))
                    }
                    return (core, signed)
                }
            }
            var parts = [[SignedTransaction]](repeating: [], count: cores)
            for await (core, part) in group { parts[core] = part }
            return parts
        }
        var ordered: [SignedTransaction] = []
        ordered.reserveCapacity(count)
        var cursors = [Int](repeating: 0, count: cores)
        for index in 0..<count {
            ordered.append(parts[index % cores][cursors[index % cores]])
            cursors[index % cores] += 1
        }
        return ordered
    }

    /// Splits transactions so that each account's transactions go to one submitter, in order.
    private func partition(_ transactions: [SignedTransaction], into count: Int) -> [[SignedTransaction]] {
        var parts = [[SignedTransaction]](repeating: [], count: count)
        for (index, transaction) in transactions.enumerated() {
            parts[(index % configuration.accounts) % count].append(transaction)
        }
        return parts
    }
}

public struct BenchmarkFailure: Error, CustomStringConvertible {
    public let message: String
    public var description: String { "benchmark failed: \(message)" }
}

import Logging

func quietBenchmarkLogger() -> Logger {
    var logger = Logger(label: "dml.bench")
    logger.logLevel = .warning
    return logger
}

extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
