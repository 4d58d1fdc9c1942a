import DMLCore
@testable import DMLLedger
import Testing

@Suite struct StateRootTests {
    @Test func chacha20MatchesRFC8439TestVectorsOneAndTwo() {
        let bytes = [UInt8](ChaCha20.keystream(key: [UInt8](repeating: 0, count: 32)))
        #expect(Hex.encode(bytes[0..<64]) == "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586")
        #expect(Hex.encode(bytes[64..<128]) == "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f")
    }

    @Test func theRootOfASetDoesNotDependOnTheOrderOfInsertion() {
        var forward = LatticeHash(), backward = LatticeHash()
        let entries = (0..<50).map { (key: [UInt8]([UInt8($0)]), value: [UInt8]([UInt8($0), 7])) }
        for entry in entries { forward.insert(key: entry.key, value: entry.value) }
        for entry in entries.reversed() { backward.insert(key: entry.key, value: entry.value) }
        #expect(forward.root == backward.root)
    }

    @Test func removingAnEntryUndoesItsInsertion() {
        var hash = LatticeHash()
        let empty = hash.root
        hash.insert(key: [1], value: [2])
        #expect(hash.root != empty)
        hash.remove(key: [1], value: [2])
        #expect(hash.root == empty)
        #expect(empty == Hash256.of([UInt8](repeating: 0, count: 2048)))
    }

    @Test func keyValueBoundariesAreNotAmbiguous() {
        var one = LatticeHash(), other = LatticeHash()
        one.insert(key: [1, 2], value: [3])
        other.insert(key: [1], value: [2, 3])
        #expect(one.root != other.root)
    }

    @Test func aStoreRebuiltFromItsEntriesHasTheSameRoot() throws {
        var chain = TestChain()
        try chain.submit(BalancesCall.transfer(to: .carol, amount: dml(3)).call, as: .alice)
        let rebuilt = StateStore(entries: chain.ledger.state.entries)
        #expect(rebuilt.root == chain.ledger.head.stateRoot)
        #expect(rebuilt == chain.ledger.state)
    }

    @Test func sealingABlockTouchesOnlyTheKeysItChanged() throws {
        var chain = TestChain((0..<200).map { (AccountKey.insecureDerived(from: "many-\($0)"), dml(1)) } + [(.alice, dml(10))])
        let transaction = try chain.sign(BalancesCall.transfer(to: .bob, amount: dml(1)).call, as: .alice).verified(for: chain.chainID)
        let production = chain.ledger.produceBlock(timestampMilliseconds: 1, transactions: [transaction])
        #expect(production.undo.changeCount == 3)
    }
}
