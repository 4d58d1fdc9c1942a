import DMLCore
import DMLLedger
import DMLNode
import DMLStore
import Foundation
import Testing

@Suite struct SequencerTests {
    func openChain(_ configure: (inout LedgerService.Configuration) -> Void = { _ in }) async throws -> LocalChain {
        try await openChain(clock: LedgerService.wallClockMilliseconds, configure)
    }

    /// A chain on a fresh SQLite log; `clock` is the sequencer's (block times and the block interval).
    func openChain(clock: @escaping @Sendable () -> UInt64,
                   _ configure: (inout LedgerService.Configuration) -> Void) async throws -> LocalChain {
        var configuration = LedgerService.Configuration()
        configure(&configuration)
        return try await LocalChain.open(.sqlite(path: Fixtures.temporaryDirectory() + "/ledger.sqlite"),
                                         spec: Fixtures.spec(), configuration: configuration, clock: clock)
    }

    /// A sequencer clock that moves only when the test says, starting after the fixtures' genesis.
    func manualClock() -> ManualClock { ManualClock(startMilliseconds: Fixtures.spec().genesisTimestampMilliseconds + 1_000) }

    func transfers(_ chain: LocalChain, from key: AccountKey, count: Int, startingAt nonce: UInt64 = 0) -> [SignedTransaction] {
        (0..<count).map {
            SignedTransaction(chain: chain.service.chainID, key: key, nonce: nonce + UInt64($0),
                              call: BalancesCall.transfer(to: Fixtures.keys[5].account, amount: Amount(baseUnits: 1)).call)
        }
    }

    @Test func blocksAreCutByCount() async throws {
        // Full blocks go at once; the last, partial one waits for the interval.
        let chain = try await openChain { $0.transactionsPerBlockMax = 10; $0.blockIntervalMilliseconds = 300 }
        let outcomes = await chain.service.submit(batch: transfers(chain, from: Fixtures.keys[0], count: 25))
        await chain.close()
        let heights = outcomes.map { try? $0.get().height }
        #expect(heights == Array(repeating: 1, count: 10) + Array(repeating: 2, count: 10) + Array(repeating: 3, count: 5), "\(outcomes)")
        #expect(outcomes.map { try? $0.get().index } == Array(0..<10) + Array(0..<10) + Array(0..<5))
    }

    @Test func aLoneTransactionIsCommittedAfterTheBlockInterval() async throws {
        // The interval is measured on the sequencer's clock, which here moves only when told.
        let clock = manualClock()
        let start = clock.milliseconds
        let chain = try await openChain(clock: clock.function) { $0.blockIntervalMilliseconds = 30 }
        let transaction = transfers(chain, from: Fixtures.keys[0], count: 1)[0]
        async let outcome = chain.service.submit(transaction)
        while await chain.service.pendingCount < 1 { await Task.yield() }
        clock.advance(byMilliseconds: 29)
        let early = await chain.service.head
        #expect(early.height == 0, "a block was cut before the interval had passed")
        #expect(await chain.service.pendingCount == 1)
        clock.advance(byMilliseconds: 1)
        let committed = await outcome
        let head = await chain.service.head
        await chain.close()
        #expect((try? committed.get().height) == 1, "\(committed)")
        #expect(head.timestampMilliseconds == start + 30)
    }

    @Test func concurrentSubmittersEachKeepTheirOrder() async throws {
        let chain = try await openChain { $0.transactionsPerBlockMax = 64; $0.blockIntervalMilliseconds = 1 }
        let results = await withTaskGroup(of: [LedgerService.Outcome].self) { group in
            for sender in 0..<5 {
                let batch = transfers(chain, from: Fixtures.keys[sender], count: 100)
                group.addTask {
                    var outcomes: [LedgerService.Outcome] = []
                    for chunk in stride(from: 0, to: batch.count, by: 7) {
                        outcomes += await chain.service.submit(batch: Array(batch[chunk..<min(batch.count, chunk + 7)]))
                    }
                    return outcomes
                }
            }
            return await group.reduce([], +)
        }
        let ledger = await chain.service.ledger
        await chain.close()
        #expect(results.count == 500)
        #expect(results.allSatisfy { (try? $0.get()) != nil })
        #expect((0..<5).allSatisfy { ledger.nextNonce(of: Fixtures.keys[$0].account) == 100 })
        #expect(ledger.invariantViolations().isEmpty)
    }

    @Test func invalidTransactionsAreRefusedAndNeverReachTheLog() async throws {
        let chain = try await openChain()
        let good = transfers(chain, from: Fixtures.keys[0], count: 2)
        var badSignature = good[1].signature
        badSignature[0] ^= 1
        let batch = [good[0], SignedTransaction(payload: good[1].payload, signature: badSignature), good[0], good[1]]
        let outcomes = await chain.service.submit(batch: batch)
        let head = await chain.service.head
        await chain.close()
        #expect((try? outcomes[0].get()) != nil)
        #expect(outcomes[1] == .failure(.rejected(.badSignature(signer: Fixtures.keys[0].account))))
        #expect(outcomes[2] == .failure(.rejected(.nonceAlreadyUsed(signer: Fixtures.keys[0].account, expected: 1, got: 0))))
        #expect((try? outcomes[3].get()) != nil)
        #expect(head.transactionCount == 2)
    }

    @Test func aBatchOfOnlyRefusedTransactionsCommitsNoBlock() async throws {
        let chain = try await openChain()
        let outcome = await chain.submit(BalancesCall.transfer(to: Fixtures.keys[1].account, amount: .tokens(5_000)!).call, as: Fixtures.keys[0])
        let head = await chain.service.head
        await chain.close()
        #expect(head.height == 0)
        guard case .failure(.rejected(.balances(.insufficientBalance))) = outcome else {
            Issue.record("expected insufficient balance, got \(outcome)")
            return
        }
    }

    @Test func submissionsBeyondTheQueueLimitAreRefusedAsOverloaded() async throws {
        let chain = try await openChain { $0.pendingTransactionsMax = 5 }
        let outcomes = await chain.service.submit(batch: transfers(chain, from: Fixtures.keys[0], count: 6))
        #expect(outcomes.allSatisfy { $0 == .failure(.overloaded(pending: 0)) })
        await chain.close()
    }

    @Test func stoppingFinishesQueuedWorkAndRefusesNewWork() async throws {
        // The sequencer's clock never moves, so the batch cannot be cut by the interval: it is
        // still queued when `stop()` runs, and only stopping can finish it.
        let chain = try await openChain(clock: manualClock().function) { $0.blockIntervalMilliseconds = 200 }
        let batch = transfers(chain, from: Fixtures.keys[0], count: 3)
        async let outcomes = chain.service.submit(batch: batch)
        while await chain.service.pendingCount < batch.count { await Task.yield() }
        await chain.service.stop()
        #expect(await outcomes.allSatisfy { (try? $0.get()) != nil })
        #expect(await chain.service.submit(batch[0]) == .failure(.stopped))
        await chain.log.close()
    }

    /// A commit that fails leaves the log's state uncertain: the block is undone in memory, its
    /// senders are told, and the sequencer stops until a restart reads the log again.
    @Test func aFailedCommitStopsTheSequencerWithoutLosingAnything() async throws {
        let path = Fixtures.temporaryDirectory() + "/ledger.sqlite"
        let chain = try await LocalChain.open(.sqlite(path: path), spec: Fixtures.spec())
        let first = await chain.submit(BalancesCall.transfer(to: Fixtures.keys[1].account, amount: .tokens(1)!).call, as: Fixtures.keys[0])
        #expect((try? first.get())?.height == 1)
        await chain.log.close()  // the database goes away underneath the sequencer
        let failed = await chain.submit(BalancesCall.transfer(to: Fixtures.keys[1].account, amount: .tokens(1)!).call, as: Fixtures.keys[0])
        guard case .failure(.storeFailed) = failed else {
            Issue.record("expected storeFailed, got \(failed)")
            await chain.service.stop()
            return
        }
        #expect(await chain.service.head.height == 1)
        let later = await chain.submit(BalancesCall.transfer(to: Fixtures.keys[2].account, amount: .tokens(1)!).call, as: Fixtures.keys[0])
        guard case .failure(.storeFailed) = later else {
            Issue.record("a stopped sequencer accepted work: \(later)")
            await chain.service.stop()
            return
        }
        await chain.service.stop()
        let reopened = try await LocalChain.open(.sqlite(path: path))
        #expect(await reopened.service.head.height == 1)
        #expect(await reopened.service.ledger.nextNonce(of: Fixtures.keys[0].account) == 1)
        await reopened.close()
    }

    @Test func parallelVerificationKeepsInputOrder() async throws {
        let chain = try await openChain()
        var batch = transfers(chain, from: Fixtures.keys[0], count: 300)
        batch[150] = SignedTransaction(payload: batch[150].payload, signature: [UInt8](repeating: 0, count: 64))
        let results = await ParallelVerifier.verify(batch, chain: chain.service.chainID, cores: 4)
        await chain.close()
        #expect(results.count == 300)
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let verified): #expect(index != 150 && verified.transaction == batch[index])
            case .failure: #expect(index == 150)
            }
        }
    }
}
