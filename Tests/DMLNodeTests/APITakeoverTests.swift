import DMLCommands
import DMLCore
import DMLLedger
import DMLNode
import DMLStore
import DMLSystem
import Foundation
import Testing

@Suite("API server: several processes on one PostgreSQL", .serialized)
struct APITakeoverTests {
    @Test("the sequencer is killed mid-traffic; the follower takes over within seconds; no acknowledged transaction is lost")
    func takeover() async throws {
        guard let location = Backend.postgres.freshLocation(), case .postgres(let url, let schema) = location else { return }
        // The chain, with 40 funded senders, so each sends one transfer at nonce 0 in any order.
        let senders = (0..<40).map { AccountKey.insecureDerived(from: "takeover-sender-\($0)") }
        let recipient = AccountKey.insecureDerived(from: "takeover-recipient").account
        let spec = ChainSpec(name: "dml-takeover", isDevelopment: true, genesisTimestampMilliseconds: LedgerService.wallClockMilliseconds(),
                             allocations: senders.map { .init($0.account, .tokens(100)!) }, superAdmins: [senders[0].account])
        await (try await LocalChain.open(location, spec: spec)).close()
        let transactions = senders.map {
            SignedTransaction(chain: spec.id, key: $0, nonce: 0, call: BalancesCall.transfer(to: recipient, amount: .tokens(1)!).call)
        }
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = url
        environment["DATABASE_SCHEMA"] = schema
        environment["DML_SECRET"] = String(repeating: "s", count: 40)
        environment["DML_LOG_LEVEL"] = "error"
        let first = try await ServeProcess(executable: Fixtures.binary, data: Fixtures.temporaryDirectory(),
                                     arguments: ["--bcrypt-cost", "4"], environment: environment)
        let second = try await ServeProcess(executable: Fixtures.binary, data: Fixtures.temporaryDirectory(),
                                      arguments: ["--bcrypt-cost", "4"], environment: environment)
        // Whatever happens below, neither server outlives the test.
        defer { first.child.kill(); second.child.kill() }
        #expect(first.role == "sequencer" && second.role == "follower")

        func send(_ index: Int, to port: Int) async throws -> RawHTTP.Reply {
            try await RawHTTP.request(port: port, "POST", "/v1/ledger/transactions", json: ["transaction": Hex.encode(transactions[index].canonicalBytes)])
        }
        var acknowledged: [Int: (hash: String, height: Int)] = [:]
        func record(_ index: Int, _ reply: RawHTTP.Reply) {
            if reply.status == 201, let hash = reply.json["hash"] as? String, let height = reply.json["height"] as? Int {
                acknowledged[index] = (hash, height)
            }
        }

        // Both processes take writes: the follower's go through the shared inbox.
        for index in 0..<10 {
            let reply = try await send(index, to: index.isMultiple(of: 2) ? first.port : second.port)
            #expect(reply.status == 201, "\(reply.body)")
            record(index, reply)
        }
        // Traffic to the sequencer; it is killed after three more acknowledgements.
        var unknown: [Int] = []
        for index in 10..<25 {
            if acknowledged.count == 13 { await first.kill() }
            if let reply = try? await send(index, to: first.port) { record(index, reply) }
            if acknowledged[index] == nil { unknown.append(index) }
        }

        #expect(!unknown.isEmpty, "the sequencer died with traffic in flight")
        // The follower wins the lock and restores the chain from the log.
        // Waits on the event (the follower reports itself sequencer); the bound only stops a
        // broken build from hanging the suite. How long a takeover takes is a benchmark figure.
        var ready: [String: Any] = [:]
        for _ in 0..<1_200 {
            ready = try await RawHTTP.request(port: second.port, "GET", "/ready").json
            if ready["sequencer"] as? Bool == true { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(ready["sequencer"] as? Bool == true, "the follower took over")

        // What the dead process never acknowledged is sent again: it lands now, or it had landed (its nonce is used).
        for index in unknown + Array(25..<40) {
            let reply = try await send(index, to: second.port)
            #expect(reply.status == 201 || reply.json["code"] as? String == "tx.nonce_already_used", "\(reply.body)")
            record(index, reply)
        }
        #expect(await second.stop() == 0, "SIGTERM shuts down gracefully")

        // Every acknowledged transaction is in the block it was acknowledged in; every transfer landed once.
        let log = try await BlockLog.open(location)
        for (index, receipt) in acknowledged {
            let block = try #require(try await log.block(at: UInt64(receipt.height)))
            #expect(block.transactions.contains { $0.hash.hex == receipt.hash && $0.hash == transactions[index].hash })
        }
        let report = try await ChainVerifier.verify(log: log)
        #expect(report.transactions == 40, "each transfer exactly once")
        await log.close()
        let follower = try await LedgerFollower.open(location)
        let (balance, violations) = await (follower.reading { Balances.balance(of: recipient, in: $0).free }, follower.ledger.invariantViolations())
        #expect(balance == .tokens(40)! && violations.isEmpty)
        await follower.close()
    }
}
