import DMLCore
import DMLLedger
import Foundation
import Testing

@Suite struct BalancesTests {
    @Test func aTransferMovesFreeBalanceAndEmitsTransferred() throws {
        var chain = TestChain()
        let events = try chain.submit(BalancesCall.transfer(to: .carol, amount: dml(30)).call, as: .alice)
        #expect(events == [BalancesEvent.transferred(from: .alice, to: .carol, amount: dml(30)).event])
        #expect(chain.free(.alice) == dml(70))
        #expect(chain.free(.carol) == dml(30))
        #expect(chain.ledger.totalIssuance == dml(198))
        chain.checkInvariants()
    }

    @Test func spendingEverythingRemovesTheEmptyAccountEntry() throws {
        var chain = TestChain()
        try chain.submit(BalancesCall.transfer(to: .carol, amount: dml(98)).call, as: .bob)
        #expect(chain.free(.bob) == .zero)
        chain.checkInvariants()  // includes "no empty balance entries"
    }

    @Test func overspendingIsRefusedAndChangesNothing() {
        var chain = TestChain()
        chain.expectRejected(BalancesCall.transfer(to: .carol, amount: dml(101)).call, as: .alice,
                             .balances(.insufficientBalance(account: .alice, needed: dml(101), free: dml(100))))
        chain.expectRejected(BalancesCall.transfer(to: .carol, amount: .max).call, as: .alice,
                             .balances(.insufficientBalance(account: .alice, needed: .max, free: dml(100))))
        chain.checkInvariants()
    }

    @Test func anAccountThatHasNeverBeenSeenCanReceiveButNotSpend() throws {
        var chain = TestChain()
        chain.expectRejected(BalancesCall.transfer(to: .alice, amount: dml(1)).call, as: .dave,
                             .balances(.insufficientBalance(account: .dave, needed: dml(1), free: .zero)))
        try chain.submit(BalancesCall.transfer(to: .dave, amount: dml(1)).call, as: .alice)
        #expect(chain.free(.dave) == dml(1))
    }

    @Test func creditingPastTheLargestAmountIsRefused() {
        // Issuance can never exceed u64, so only a genesis that mints to the edge can reach this.
        var chain = TestChain([(.alice, Amount(baseUnits: .max - 5)), (.bob, Amount(baseUnits: 5))])
        chain.expectRejected(BalancesCall.faucet(amount: Amount(baseUnits: 1)).call, as: .bob, .balances(.issuanceOverflow))
        chain.checkInvariants()
    }

    @Test func genesisThatOverflowsTheIssuanceIsRefused() {
        let spec = ChainSpec(name: "x", isDevelopment: true, genesisTimestampMilliseconds: 0,
                             allocations: [.init(.alice, .max), .init(.bob, Amount(baseUnits: 1))], superAdmins: [.alice])
        #expect(throws: GenesisError.allocation(account: .bob, .issuanceOverflow)) { try Ledger.genesis(spec) }
    }

    @Test func version2RefusesZeroAndSelfTransfersVersion1AcceptsThem() throws {
        var v2 = TestChain()
        v2.expectRejected(BalancesCall.transfer(to: .bob, amount: .zero).call, as: .alice, .balances(.zeroAmount))
        v2.expectRejected(BalancesCall.transfer(to: .alice, amount: dml(1)).call, as: .alice, .balances(.transferToSelf))
        var v1 = TestChain(modules: [.init(.registry, 1), .init(.roles, 1), .init(.balances, 1)])
        try v1.submit(BalancesCall.transfer(to: .bob, amount: .zero).call, as: .alice)
        try v1.submit(BalancesCall.transfer(to: .alice, amount: dml(1)).call, as: .alice)
        #expect(v1.free(.alice) == dml(100))
        v1.expectRejected(BalancesCall.transfer(to: .alice, amount: dml(101)).call, as: .alice,
                          .balances(.insufficientBalance(account: .alice, needed: dml(101), free: dml(100))))
        v1.checkInvariants()
        v2.checkInvariants()
    }

    @Test func theFaucetMintsOnlyOnDevelopmentChainsAndOnlyUpToItsLimit() throws {
        var development = TestChain(faucetAmountMax: dml(10))
        let events = try development.submit(BalancesCall.faucet(amount: dml(10)).call, as: .carol)
        #expect(events == [BalancesEvent.minted(to: .carol, amount: dml(10)).event])
        #expect(development.ledger.totalIssuance == dml(208))
        development.expectRejected(BalancesCall.faucet(amount: dml(11)).call, as: .carol,
                                   .balances(.faucetAmountTooLarge(requested: dml(11), max: dml(10))))
        development.checkInvariants()

        var production = TestChain(isDevelopment: false)
        production.expectRejected(BalancesCall.faucet(amount: dml(1)).call, as: .carol, .balances(.faucetDisabled))
    }

    /// Rejections in precedence order: each row also breaks every rule below it.
    @Test func transferRejectionsComeInTheDocumentedOrder() {
        var chain = TestChain()
        chain.expectRejected(BalancesCall.transfer(to: .alice, amount: .zero).call, as: .alice, .balances(.zeroAmount))
        chain.expectRejected(BalancesCall.transfer(to: .alice, amount: .max).call, as: .alice, .balances(.transferToSelf))
        chain.expectRejected(BalancesCall.transfer(to: .bob, amount: .max).call, as: .alice,
                             .balances(.insufficientBalance(account: .alice, needed: .max, free: dml(100))))
        var faucet = TestChain(isDevelopment: false, faucetAmountMax: dml(1))
        faucet.expectRejected(BalancesCall.faucet(amount: .max).call, as: .alice, .balances(.faucetDisabled))
    }

    /// A fresh seed each run unless `DML_TEST_SEED` names one; every failure message gives it.
    @Test func supplyIsConservedAcrossManyRandomTransfers() {
        let seed = ProcessInfo.processInfo.environment["DML_TEST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)
        var chain = TestChain([(.alice, dml(1_000)), (.bob, dml(1_000)), (.carol, dml(1_000)), (.dave, dml(1_000))])
        var random = Xorshift(seed: seed)
        let keys: [AccountKey] = [.alice, .bob, .carol, .dave]
        for step in 0..<200 {
            let from = keys.randomElement(using: &random)!
            let to = keys.randomElement(using: &random)!
            _ = try? chain.submit(BalancesCall.transfer(to: to.account, amount: Amount(baseUnits: UInt64.random(in: 0...1_500_000_000_000, using: &random))).call, as: from)
            #expect(chain.ledger.totalIssuance == dml(4_000), "step \(step); reproduce with DML_TEST_SEED=\(seed)")
        }
        #expect(chain.ledger.invariantViolations() == [], "reproduce with DML_TEST_SEED=\(seed)")
    }
}

/// The hand-written text of Balances calls and events is exactly what reflection printed before
/// (the format the API and `dml block` show; these strings were read off `dml block`).
@Suite struct BalancesTextTests {
    @Test func textMatchesTheReflectedFormat() {
        let escrow = EscrowID(module: .bounties, purpose: 1, id: 7)
        #expect(BalancesCall.transfer(to: .bob, amount: Amount(baseUnits: 12_500_000_000)).call.text
            == "transfer(to: \(AccountID.bob.address), amount: 12.5 DML)")
        #expect(BalancesCall.faucet(amount: dml(3)).call.text == "faucet(amount: 3 DML)")
        #expect(BalancesEvent.transferred(from: .alice, to: .bob, amount: Amount(baseUnits: 12_500_000_000)).event.text
            == "transferred(from: \(AccountID.alice.address), to: \(AccountID.bob.address), amount: 12.5 DML)")
        #expect(BalancesEvent.minted(to: .bob, amount: dml(1)).event.text == "minted(to: \(AccountID.bob.address), amount: 1 DML)")
        #expect(BalancesEvent.escrowed(from: .alice, escrow: escrow, amount: dml(2)).event.text
            == "escrowed(from: \(AccountID.alice.address), escrow: escrow bounties/1/7, amount: 2 DML)")
        #expect(BalancesEvent.released(escrow: escrow, to: .bob, amount: dml(2)).event.nameAndText.name == "released")
    }
}

/// `Xorshift` (StorageTests) as a generator for the standard library's `random(in:using:)`.
extension Xorshift: RandomNumberGenerator {}
