import DMLCore
@testable import DMLLedger
import Testing

@Suite struct BlockTests {
    /// A chain of a few blocks with transfers, to tamper with.
    static func sampleChain() throws -> TestChain {
        var chain = TestChain()
        for amount in 1...3 {
            let transactions = [
                chain.sign(BalancesCall.transfer(to: .carol, amount: dml(UInt64(amount))).call, as: .alice),
                chain.sign(BalancesCall.transfer(to: .dave, amount: dml(UInt64(amount))).call, as: .bob),
            ]
            chain.produce(transactions)
        }
        return chain
    }

    @Test func genesisIsBlockZeroWithItsAllocationsAsEvents() throws {
        let chain = TestChain()
        let genesis = chain.blocks[0]
        #expect(genesis.height == 0)
        #expect(genesis.header.previousHash == .zero)
        #expect(genesis.transactions.isEmpty)
        #expect(genesis.events.contains(EventRecord(phase: .initialization, event: BalancesEvent.minted(to: .alice, amount: dml(100)).event)))
        #expect(genesis.events.contains(EventRecord(phase: .initialization, event: RolesEvent.granted(role: .superAdmin, to: .alice, by: nil).event)))
        #expect(try Block(canonicalBytes: genesis.canonicalBytes) == genesis)
    }

    @Test func blocksChainByHashAndCommitToTheirContents() throws {
        let chain = try Self.sampleChain()
        for (parent, block) in zip(chain.blocks, chain.blocks.dropFirst()) {
            #expect(block.header.previousHash == parent.hash)
            #expect(block.header.height == parent.height + 1)
            #expect(block.header.transactionsRoot == Block.transactionsRoot(block.transactions.map(\.hash)))
            #expect(block.header.eventsRoot == Block.eventsRoot(block.events))
            #expect(try Block(canonicalBytes: block.canonicalBytes) == block)
        }
    }

    @Test func aFaithfulReplayReachesTheSameLedger() throws {
        let chain = try Self.sampleChain()
        var replayed = try Ledger.genesis(chain.ledger.spec).0
        for block in chain.blocks.dropFirst() {
            try replayed.replay(block, verified: block.transactions.map { try $0.verified(for: replayed.chainID) })
        }
        #expect(replayed == chain.ledger)
    }

    /// Every kind of tampering is caught at the block where it happened, with the reason, and
    /// leaves the replaying ledger unchanged.
    @Test func tamperedBlocksAreRefusedWithExactlyWhatIsWrong() throws {
        let chain = try Self.sampleChain()
        var ledger = try Ledger.genesis(chain.ledger.spec).0
        let first = chain.blocks[1]
        try ledger.replay(first, verified: first.transactions.map(VerifiedTransaction.init(trustingLogged:)))
        let block = chain.blocks[2]
        let header = block.header
        func with(_ change: (inout HeaderFields) -> Void) -> Block {
            var fields = HeaderFields(header)
            change(&fields)
            return Block(header: fields.header, transactions: block.transactions, events: block.events)
        }
        let otherHash = Hash256.of([1])
        let cases: [(Block, BlockError)] = [
            (with { $0.stateRoot = otherHash }, .stateRootMismatch(height: 2, header: otherHash, computed: header.stateRoot)),
            (with { $0.previousHash = otherHash }, .previousHashMismatch(height: 2, expected: first.hash, found: otherHash)),
            (with { $0.height = 3 }, .heightMismatch(expected: 2, found: 3)),
            (with { $0.timestamp = 0 }, .timestampBeforeParent(height: 2, parent: first.header.timestampMilliseconds, found: 0)),
            (with { $0.transactionsRoot = otherHash }, .transactionsRootMismatch(height: 2, header: otherHash, computed: header.transactionsRoot)),
            (with { $0.eventsRoot = otherHash }, .eventsRootMismatch(height: 2, header: otherHash, computed: header.eventsRoot)),
            (with { $0.chain = otherHash }, .wrongChain(height: 2, expected: ledger.chainID, found: otherHash)),
            (Block(header: header, transactions: Array(block.transactions.reversed()), events: block.events),
             .transactionsRootMismatch(height: 2, header: header.transactionsRoot, computed: Block.transactionsRoot(block.transactions.reversed().map(\.hash)))),
            (Block(header: header, transactions: Array(block.transactions.prefix(1)), events: block.events),
             .countMismatch(height: 2, what: "transactions", header: 2, body: 1)),
        ]
        let before = ledger
        for (tampered, expected) in cases {
            #expect(throws: expected) {
                try ledger.replay(tampered, verified: tampered.transactions.map(VerifiedTransaction.init(trustingLogged:)))
            }
            #expect(ledger == before)
        }
        // Events that re-execution does not produce, with a root recomputed to match them.
        var events = block.events
        events[0] = EventRecord(phase: .transaction(0), event: BalancesEvent.minted(to: .alice, amount: dml(1)).event)
        let forged = Block(header: with { $0.eventsRoot = Block.eventsRoot(events) }.header, transactions: block.transactions, events: events)
        #expect(throws: BlockError.eventsMismatch(height: 2, firstDifference: 0)) {
            try ledger.replay(forged, verified: forged.transactions.map(VerifiedTransaction.init(trustingLogged:)))
        }
        #expect(ledger == before)
        try ledger.replay(block, verified: block.transactions.map(VerifiedTransaction.init(trustingLogged:)))
    }

    @Test func aBlockCarryingATransactionThatFailsIsInvalid() throws {
        let chain = TestChain()
        let overspend = try chain.sign(BalancesCall.transfer(to: .carol, amount: dml(500)).call, as: .alice).verified(for: chain.chainID)
        // A header consistent with its body in every field: only re-execution can object.
        var fields = HeaderFields(chain.ledger.head)
        fields.height = 1
        fields.previousHash = chain.ledger.head.hash
        fields.transactionsRoot = Block.transactionsRoot([overspend.hash])
        fields.eventsRoot = Block.eventsRoot([])
        fields.transactionCount = 1
        fields.eventCount = 0
        let forged = Block(header: fields.header, transactions: [overspend.transaction], events: [])
        var replaying = chain.ledger
        #expect(throws: BlockError.invalidTransaction(
            height: 1, index: 0, .balances(.insufficientBalance(account: .alice, needed: dml(500), free: dml(100))))) {
            try replaying.replay(forged, verified: [overspend])
        }
        #expect(replaying == chain.ledger)
        chain.checkInvariants()
    }

    @Test func undoingABlockRestoresTheStateExactly() throws {
        var chain = TestChain()
        let before = chain.ledger
        let transaction = try chain.sign(BalancesCall.transfer(to: .carol, amount: dml(5)).call, as: .alice).verified(for: chain.chainID)
        let production = chain.ledger.produceBlock(timestampMilliseconds: 5, transactions: [transaction])
        #expect(production.undo.changeCount == 3)  // alice, carol, alice's nonce
        chain.ledger.undoLastBlock(production, previousHead: before.head)
        #expect(chain.ledger == before)
    }

    @Test func merkleRootFollowsRFC6962() {
        let a: [UInt8] = [1], b: [UInt8] = [2], c: [UInt8] = [3]
        let leaf = { (d: [UInt8]) in Hash256.of([0] + d).bytes }
        let node = { (l: [UInt8], r: [UInt8]) in Hash256.of([1] + l + r).bytes }
        #expect(MerkleRoot.of([]) == Hash256.of([UInt8]()))
        #expect(MerkleRoot.of([a]).bytes == leaf(a))
        #expect(MerkleRoot.of([a, b]).bytes == node(leaf(a), leaf(b)))
        #expect(MerkleRoot.of([a, b, c]).bytes == node(node(leaf(a), leaf(b)), leaf(c)))
    }
}

/// A header's fields, editable, to build tampered copies.
struct HeaderFields {
    var chain: Hash256, height: UInt64, timestamp: UInt64, previousHash: Hash256
    var transactionsRoot: Hash256, eventsRoot: Hash256, stateRoot: Hash256, transactionCount: UInt32, eventCount: UInt32

    init(_ header: BlockHeader) {
        chain = header.chain; height = header.height; timestamp = header.timestampMilliseconds
        previousHash = header.previousHash; transactionsRoot = header.transactionsRoot; eventsRoot = header.eventsRoot
        stateRoot = header.stateRoot; transactionCount = header.transactionCount; eventCount = header.eventCount
    }

    var header: BlockHeader {
        BlockHeader(chain: chain, height: height, timestampMilliseconds: timestamp, previousHash: previousHash,
                    transactionsRoot: transactionsRoot, eventsRoot: eventsRoot, stateRoot: stateRoot,
                    transactionCount: transactionCount, eventCount: eventCount)
    }
}
