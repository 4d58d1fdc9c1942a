import DMLCore
import DMLLedger
import Testing

@Suite struct VouchersTests {
    let hub = Identifier<Hub>(1)

    /// Alice opens hub 1 with `fee` percent and funds it with `funding`.
    func chainWithHub(fee: UInt8 = 0, funding: Amount = dml(50)) throws -> TestChain {
        var chain = TestChain()
        try chain.submit(VouchersCall.openHub(feePercent: fee).call, as: .alice)
        try chain.submit(VouchersCall.fund(hub: hub, amount: funding).call, as: .alice)
        return chain
    }

    func redeem(_ chain: TestChain, to recipient: AccountID, amount: Amount, nonce: UInt64, signer: AccountKey = .alice) -> Call {
        let voucher = Voucher(hub: hub, recipient: recipient, amount: amount, nonce: nonce)
        return VouchersCall.redeem(voucher, signature: voucher.signed(by: signer, chain: chain.chainID)).call
    }

    @Test func aHubIsOpenedAndFundedIntoItsEscrow() throws {
        var chain = TestChain()
        let opened = try chain.submit(VouchersCall.openHub(feePercent: 20).call, as: .alice)
        #expect(opened == [VouchersEvent.hubOpened(hub: hub, issuer: .alice, feePercent: 20).event])
        let funded = try chain.submit(VouchersCall.fund(hub: hub, amount: dml(30)).call, as: .alice)
        #expect(funded == [
            BalancesEvent.escrowed(from: .alice, escrow: Vouchers.escrow(hub), amount: dml(30)).event,
            VouchersEvent.funded(hub: hub, by: .alice, amount: dml(30)).event,
        ])
        #expect(chain.free(.alice) == dml(70))
        #expect(chain.ledger.totalIssuance == dml(198))
    }

    /// PaymentHub's own test: a 20 % fee on 5 pays the recipient 4 and the hub keeps 1.
    @Test func theFeeIsKeptByTheHub() throws {
        var chain = try chainWithHub(fee: 20)
        let events = try chain.submit(redeem(chain, to: .carol, amount: Amount(baseUnits: 5), nonce: 1), as: .carol)
        #expect(events == [
            BalancesEvent.released(escrow: Vouchers.escrow(hub), to: .carol, amount: Amount(baseUnits: 4)).event,
            VouchersEvent.redeemed(hub: hub, recipient: .carol, nonce: 1, paid: Amount(baseUnits: 4), fee: Amount(baseUnits: 1)).event,
        ])
        #expect(chain.free(.carol) == Amount(baseUnits: 4))
        #expect(chain.ledger.reading { Vouchers.hub(hub, in: $0) }?.balance == Amount(baseUnits: 50_000_000_000 - 4))
    }

    @Test func feesRoundDownAndNeverOverflow() {
        #expect(Vouchers.fee(on: Amount(baseUnits: 99), percent: 1) == .zero)
        #expect(Vouchers.fee(on: .max, percent: 100) == .max)
        #expect(Vouchers.fee(on: .max, percent: 50) == Amount(baseUnits: UInt64.max / 2))
    }

    /// PaymentHub's own test: a replayed or lower nonce is refused.
    @Test func aVoucherCannotBeRedeemedTwiceNorAnOlderOneAfterANewerOne() throws {
        var chain = try chainWithHub()
        let first = redeem(chain, to: .carol, amount: dml(1), nonce: 5)
        try chain.submit(first, as: .carol)
        chain.expectRejected(first, as: .carol, .vouchers(.nonceNotIncreasing(hub: hub, recipient: .carol, last: 5, got: 5)))
        chain.expectRejected(redeem(chain, to: .carol, amount: dml(1), nonce: 4), as: .dave,
                             .vouchers(.nonceNotIncreasing(hub: hub, recipient: .carol, last: 5, got: 4)))
        try chain.submit(redeem(chain, to: .carol, amount: dml(1), nonce: 6), as: .dave)
        #expect(chain.free(.carol) == dml(2))
    }

    @Test func aForgedOrAlteredVoucherIsRefused() throws {
        var chain = try chainWithHub()
        chain.expectRejected(redeem(chain, to: .carol, amount: dml(1), nonce: 1, signer: .carol), as: .carol, .vouchers(.invalidSignature(hub: hub)))
        let voucher = Voucher(hub: hub, recipient: .carol, amount: dml(1), nonce: 1)
        let signature = voucher.signed(by: .alice, chain: chain.chainID)
        let inflated = Voucher(hub: hub, recipient: .carol, amount: dml(40), nonce: 1)
        chain.expectRejected(VouchersCall.redeem(inflated, signature: signature).call, as: .carol, .vouchers(.invalidSignature(hub: hub)))
        let otherChain = voucher.signed(by: .alice, chain: Hash256.of([9]))
        chain.expectRejected(VouchersCall.redeem(voucher, signature: otherChain).call, as: .carol, .vouchers(.invalidSignature(hub: hub)))
    }

    @Test func aBlacklistedRecipientCannotRedeem() throws {
        var chain = try chainWithHub()
        chain.expectRejected(VouchersCall.blacklist(hub: hub, account: .carol).call, as: .bob, .vouchers(.notIssuer(hub: hub, account: .bob)))
        let events = try chain.submit(VouchersCall.blacklist(hub: hub, account: .carol).call, as: .alice)
        #expect(events == [VouchersEvent.blacklisted(hub: hub, account: .carol).event])
        chain.expectRejected(VouchersCall.blacklist(hub: hub, account: .carol).call, as: .alice,
                             .vouchers(.alreadyBlacklisted(hub: hub, account: .carol)))
        chain.expectRejected(redeem(chain, to: .carol, amount: dml(1), nonce: 1), as: .carol,
                             .vouchers(.recipientBlacklisted(hub: hub, recipient: .carol)))
    }

    @Test func aVoucherBeyondWhatTheHubHoldsIsRefused() throws {
        var chain = try chainWithHub(funding: dml(2))
        chain.expectRejected(redeem(chain, to: .carol, amount: dml(3), nonce: 1), as: .carol,
                             .vouchers(.hubUnderfunded(hub: hub, needed: dml(3), held: dml(2))))
    }

    @Test func theIssuerChangesTheFeeAndWithdraws() throws {
        var chain = try chainWithHub(fee: 10)
        chain.expectRejected(VouchersCall.setFee(hub: hub, percent: 10).call, as: .alice, .vouchers(.feeUnchanged(percent: 10)))
        chain.expectRejected(VouchersCall.setFee(hub: hub, percent: 101).call, as: .alice, .vouchers(.feeTooHigh(percent: 101)))
        try chain.submit(VouchersCall.setFee(hub: hub, percent: 0).call, as: .alice)
        chain.expectRejected(VouchersCall.withdraw(hub: hub, amount: dml(51)).call, as: .alice,
                             .vouchers(.hubUnderfunded(hub: hub, needed: dml(51), held: dml(50))))
        chain.expectRejected(VouchersCall.withdraw(hub: hub, amount: dml(1)).call, as: .bob, .vouchers(.notIssuer(hub: hub, account: .bob)))
        try chain.submit(VouchersCall.withdraw(hub: hub, amount: dml(50)).call, as: .alice)
        #expect(chain.free(.alice) == dml(100))
    }

    /// Rejections in precedence order: each row breaks its rule and every later one.
    @Test func redeemRejectionsComeInTheDocumentedOrder() throws {
        var chain = try chainWithHub(funding: dml(1))
        try chain.submit(VouchersCall.blacklist(hub: hub, account: .carol).call, as: .alice)
        let missing = Identifier<Hub>(9)
        let zero = Voucher(hub: missing, recipient: .carol, amount: .zero, nonce: 0)
        chain.expectRejected(VouchersCall.redeem(zero, signature: [UInt8](repeating: 0, count: 64)).call, as: .bob, .vouchers(.unknownHub(missing)))
        let zeroHere = Voucher(hub: hub, recipient: .carol, amount: .zero, nonce: 0)
        chain.expectRejected(VouchersCall.redeem(zeroHere, signature: [UInt8](repeating: 0, count: 64)).call, as: .bob, .vouchers(.zeroAmount))
        chain.expectRejected(redeem(chain, to: .carol, amount: dml(5), nonce: 0, signer: .bob), as: .bob, .vouchers(.invalidSignature(hub: hub)))
        chain.expectRejected(redeem(chain, to: .carol, amount: dml(5), nonce: 0), as: .bob, .vouchers(.recipientBlacklisted(hub: hub, recipient: .carol)))
        try chain.submit(redeem(chain, to: .dave, amount: Amount(baseUnits: 1), nonce: 3), as: .dave)
        chain.expectRejected(redeem(chain, to: .dave, amount: dml(5), nonce: 3), as: .bob,
                             .vouchers(.nonceNotIncreasing(hub: hub, recipient: .dave, last: 3, got: 3)))
        chain.expectRejected(redeem(chain, to: .dave, amount: dml(5), nonce: 4), as: .bob,
                             .vouchers(.hubUnderfunded(hub: hub, needed: dml(5), held: Amount(baseUnits: 999_999_999))))
        chain.expectRejected(VouchersCall.openHub(feePercent: 101).call, as: .bob, .vouchers(.feeTooHigh(percent: 101)))
    }
}
