import DMLCore
import DMLLedger
import DMLNode
import DMLStore
import Foundation
import Testing

@Suite(.serialized) struct StoreTests {
    @Test(arguments: Backend.allCases)
    func committedBlocksSurviveARestartWithTheSameRoot(_ backend: Backend) async throws {
        guard let location = backend.freshLocation() else { return }
        let keys = Fixtures.keys
        var chain = try await LocalChain.open(location, spec: Fixtures.spec())
        for round in 0..<5 {
            let outcomes = await chain.service.submit(batch: keys.dropFirst().map { key in
                SignedTransaction(chain: chain.service.chainID, key: key, nonce: UInt64(round),
                                  call: BalancesCall.transfer(to: keys[0].account, amount: .tokens(1)!).call)
            })
            #expect(outcomes.allSatisfy { (try? $0.get()) != nil })
        }
        let before = await chain.service.ledger
        await chain.close()
        chain = try await LocalChain.open(location)
        let after = await chain.service.ledger
        #expect(after == before)
        #expect(after.balance(of: keys[0].account).free == .tokens(1_025)!)
        #expect(after.invariantViolations().isEmpty)
        await chain.close()

        let report = try await withClosing(try await BlockLog.open(location), close: { await $0.close() }) { log in
            try await ChainVerifier.verify(log: log)
        }
        #expect(report.head == before.head)
        #expect(report.transactions == 25)
    }

    @Test(arguments: Backend.allCases)
    func aSnapshotBoundsTheReplayAndReachesTheSameLedger(_ backend: Backend) async throws {
        guard let location = backend.freshLocation() else { return }
        var configuration = LedgerService.Configuration()
        configuration.snapshotIntervalBlocks = 3
        var chain = try await LocalChain.open(location, spec: Fixtures.spec(), configuration: configuration)
        for _ in 0..<7 {
            _ = await chain.submit(BalancesCall.transfer(to: Fixtures.keys[1].account, amount: .tokens(1)!).call, as: Fixtures.keys[0])
        }
        let before = await chain.service.ledger
        await chain.close()
        chain = try await LocalChain.open(location)
        #expect(chain.restore.snapshotHeight == 6)
        #expect(chain.restore.replayedBlocks == 1)
        #expect(await chain.service.ledger == before)
        await chain.close()
    }

    @Test(arguments: Backend.allCases)
    func aBlockCannotBeStoredTwiceAtOneHeight(_ backend: Backend) async throws {
        guard let location = backend.freshLocation() else { return }
        let (_, genesis) = try Ledger.genesis(Fixtures.spec())
        try await withClosing(try await BlockLog.open(location), close: { await $0.close() }) { log in
            try await log.initialize(spec: Fixtures.spec(), genesis: genesis)
            await #expect(throws: StoreError.self) { try await log.append(genesis) }
            #expect(try await log.headHeight() == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func aLogOfAnotherChainIsRefused(_ backend: Backend) async throws {
        guard let location = backend.freshLocation() else { return }
        let chain = try await LocalChain.open(location, spec: Fixtures.spec())
        await chain.close()
        await #expect(throws: StoreError.self) {
            // Closed if it unexpectedly opens, so no sequencer is left running.
            let chain = try await LocalChain.open(location, spec: Fixtures.spec(name: "other"))
            await chain.close()
        }
    }

    @Test(arguments: Backend.allCases)
    func verificationSaysExactlyWhichBlockWasTamperedWith(_ backend: Backend) async throws {
        guard let location = backend.freshLocation() else { return }
        let chain = try await LocalChain.open(location, spec: Fixtures.spec())
        for _ in 0..<4 {
            _ = await chain.submit(BalancesCall.transfer(to: Fixtures.keys[2].account, amount: .tokens(2)!).call, as: Fixtures.keys[1])
        }
        await chain.close()

        // Rewrite block 3 so that it still decodes and its stored hash matches, but its
        // transfer amount differs: only re-execution can tell.
        try await withClosing(try await BlockLog.open(location), close: { await $0.close() }) { log in
            let original = try #require(try await log.block(at: 3))
            let transaction = original.transactions[0]
            let forgedCall = BalancesCall.transfer(to: Fixtures.keys[2].account, amount: .tokens(3)!).call
            let forgedTransaction = SignedTransaction(payload: TransactionPayload(chain: transaction.payload.chain, signer: transaction.payload.signer,
                                                                                  nonce: transaction.payload.nonce, call: forgedCall),
                                                      signature: transaction.signature)
            let forged = Block(header: original.header, transactions: [forgedTransaction], events: original.events)
            try await rewrite(location, height: 3, with: forged)
            do throws(ChainVerifier.Failure) {
                _ = try await ChainVerifier.verify(log: log)
                Issue.record("a tampered chain verified")
            } catch {
                #expect(error.height == 3)
                #expect(error.description.contains("block 3"))
            }
        }
    }

    /// Overwrites a stored block row (hash column included), as an attacker with disk access could.
    func rewrite(_ location: DatabaseLocation, height: UInt64, with block: Block) async throws {
        switch location {
        case .sqlite(let path):
            let result = try await runProcess("/usr/bin/env", ["python3", "-c", """
                import sqlite3, sys
                db = sqlite3.connect(sys.argv[1])
                db.execute("UPDATE dml_blocks SET block = ?, hash = ? WHERE height = ?", (bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]), int(sys.argv[4])))
                db.commit()
                """, path, Hex.encode(block.canonicalBytes), block.hash.hex, String(height)])
            #expect(result.status == 0, "\(result.error)")
        case let .postgres(url, schema):
            let sql = "SET search_path TO \(schema ?? "public"); UPDATE dml_blocks SET block = decode('\(Hex.encode(block.canonicalBytes))', 'hex'), hash = decode('\(block.hash.hex)', 'hex') WHERE height = \(height);"
            let result = try await runProcess("/usr/bin/env", ["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
            #expect(result.status == 0, "\(result.error)")
        }
    }

    @Test func aCorruptedSQLiteFileGivesAClearErrorAndNoCrash() async throws {
        let directory = Fixtures.temporaryDirectory()
        let path = directory + "/ledger.sqlite"
        let chain = try await LocalChain.open(.sqlite(path: path), spec: Fixtures.spec())
        _ = await chain.submit(BalancesCall.transfer(to: Fixtures.keys[2].account, amount: .tokens(2)!).call, as: Fixtures.keys[1])
        await chain.close()
        // Garbage over the whole file header: not a database any more.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.write(contentsOf: Data(repeating: 0x5a, count: 4096))
        try handle.close()
        await #expect(throws: (any Error).self) {
            let chain = try await LocalChain.open(.sqlite(path: path))
            await chain.close()
        }
    }

    @Test func aTruncatedSQLiteFileGivesAClearErrorAndNoCrash() async throws {
        let directory = Fixtures.temporaryDirectory()
        let path = directory + "/ledger.sqlite"
        let chain = try await LocalChain.open(.sqlite(path: path), spec: Fixtures.spec())
        for _ in 0..<20 {
            _ = await chain.submit(BalancesCall.transfer(to: Fixtures.keys[2].account, amount: .tokens(2)!).call, as: Fixtures.keys[1])
        }
        await chain.close(snapshot: true)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(size / 2))
        try handle.close()
        do {
            let reopened = try await LocalChain.open(.sqlite(path: path))
            // If SQLite can still read what is left, verification must catch what is missing.
            let head = await reopened.service.head
            await reopened.close()
            // The log is closed on the path this test expects too (verification throwing).
            _ = try await withClosing(try await BlockLog.open(.sqlite(path: path)), close: { await $0.close() }) { log in
                try await ChainVerifier.verify(log: log)
            }
            Issue.record("a truncated log opened at height \(head.height) and verified")
        } catch {
            #expect(!"\(error)".isEmpty)
        }
    }
}
