import DMLCore
import DMLLedger
import Testing

extension AccountKey {
    static let alice = AccountKey.insecureDerived(from: "alice")
    static let bob = AccountKey.insecureDerived(from: "bob")
    static let carol = AccountKey.insecureDerived(from: "carol")
    static let dave = AccountKey.insecureDerived(from: "dave")
}

extension AccountID {
    static let alice = AccountKey.alice.account
    static let bob = AccountKey.bob.account
    static let carol = AccountKey.carol.account
    static let dave = AccountKey.dave.account
}

func dml(_ whole: UInt64) -> Amount { Amount.tokens(whole)! }

/// A ledger for tests: starts from a named genesis, applies one transaction per block the way
/// the sequencer does (an empty block is taken back), and checks invariants.
struct TestChain {
    var ledger: Ledger
    var blocks: [Block]
    var clock: UInt64 = 1_700_000_000_000

    init(_ balances: [(AccountKey, Amount)] = [(.alice, dml(100)), (.bob, dml(98))],
         superAdmins: [AccountKey] = [.alice], isDevelopment: Bool = true,
         modules: [ChainSpec.ModuleVersion] = ChainSpec.latestModules, catalog: ModuleCatalog = .standard,
         faucetAmountMax: Amount = dml(1_000)) {
        let spec = ChainSpec(
            name: "dml-test", isDevelopment: isDevelopment, genesisTimestampMilliseconds: 1_700_000_000_000,
            modules: modules, allocations: balances.map { .init($0.0.account, $0.1) },
            superAdmins: superAdmins.map(\.account), faucetAmountMax: faucetAmountMax)
        let (ledger, genesis) = try! Ledger.genesis(spec, catalog: catalog)
        self.ledger = ledger
        blocks = [genesis]
    }

    var chainID: Hash256 { ledger.chainID }

    func sign(_ call: Call, as key: AccountKey, nonce: UInt64? = nil) -> SignedTransaction {
        SignedTransaction(chain: chainID, key: key, nonce: nonce ?? ledger.nextNonce(of: key.account), call: call)
    }

    /// Produces a block from `transactions` (signatures checked here); returns each outcome.
    @discardableResult
    mutating func produce(_ transactions: [SignedTransaction]) -> [Result<Void, TransactionError>] {
        clock += 1_000
        var outcomes = [Result<Void, TransactionError>?](repeating: nil, count: transactions.count)
        var verified: [VerifiedTransaction] = []
        var positions: [Int] = []
        for (index, transaction) in transactions.enumerated() {
            do {
                verified.append(try transaction.verified(for: chainID))
                positions.append(index)
            } catch {
                outcomes[index] = .failure(error)
            }
        }
        let previousHead = ledger.head
        let production = ledger.produceBlock(timestampMilliseconds: clock, transactions: verified)
        for (index, error) in production.rejections { outcomes[positions[index]] = .failure(error) }
        for index in outcomes.indices where outcomes[index] == nil { outcomes[index] = .success(()) }
        if production.block.isEmpty {
            ledger.undoLastBlock(production, previousHead: previousHead)
        } else {
            blocks.append(production.block)
        }
        // Supply conservation and every other invariant, after every block of every test.
        #expect(ledger.invariantViolations() == [], "invariants broken after block \(ledger.head.height)")
        return outcomes.map { $0! }
    }

    /// Submits one call in its own block and returns the events it emitted.
    @discardableResult
    mutating func submit(_ call: Call, as key: AccountKey, nonce: UInt64? = nil) throws(TransactionError) -> [Event] {
        let outcome = produce([sign(call, as: key, nonce: nonce)])[0]
        if case .failure(let error) = outcome { throw error }
        return blocks.last!.events.filter { if case .transaction = $0.phase { true } else { false } }.map(\.event)
    }

    /// Asserts that `call` is refused with exactly `expected` and leaves the ledger as it was.
    mutating func expectRejected(_ call: Call, as key: AccountKey, _ expected: TransactionError,
                                 nonce: UInt64? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        let before = ledger
        do {
            try submit(call, as: key, nonce: nonce)
            Issue.record("expected \(expected.code), the call was accepted", sourceLocation: sourceLocation)
        } catch {
            #expect(error == expected, sourceLocation: sourceLocation)
        }
        #expect(ledger == before, "a rejected call changed the ledger", sourceLocation: sourceLocation)
    }

    func free(_ key: AccountKey) -> Amount { ledger.balance(of: key.account).free }

    /// Every invariant of every module holds (supply conserved among them).
    func checkInvariants(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(ledger.invariantViolations() == [], sourceLocation: sourceLocation)
    }
}

extension Result where Success == Void, Failure == TransactionError {
    static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.success, .success): true
        case let (.failure(a), .failure(b)): a == b
        default: false
        }
    }
}
