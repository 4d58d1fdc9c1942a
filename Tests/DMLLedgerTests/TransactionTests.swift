import DMLCore
@testable import DMLLedger
import Testing

@Suite struct TransactionTests {
    @Test func aSignedTransactionRoundTripsThroughItsEncoding() throws {
        let chain = TestChain()
        let transaction = chain.sign(BalancesCall.transfer(to: .bob, amount: dml(1)).call, as: .alice)
        #expect(try SignedTransaction(wire: transaction.canonicalBytes) == transaction)
        #expect(try transaction.verified(for: chain.chainID).hash == transaction.hash)
    }

    @Test func flippingAnyByteOfASignedTransactionMakesItInvalid() {
        let chain = TestChain()
        let transaction = chain.sign(BalancesCall.transfer(to: .bob, amount: dml(1)).call, as: .alice)
        let bytes = transaction.canonicalBytes
        for index in bytes.indices {
            var tampered = bytes
            tampered[index] ^= 0x01
            guard let decoded = try? SignedTransaction(wire: tampered) else { continue }  // no longer decodes: refused too
            #expect(throws: TransactionError.self) { try decoded.verified(for: chain.chainID) }
        }
    }

    @Test func aTransactionForAnotherChainIsRefusedBeforeItsSignatureIsChecked() {
        let chain = TestChain()
        let other = Hash256.of(Array("another chain".utf8))
        let transaction = SignedTransaction(chain: other, key: .alice, nonce: 0, call: BalancesCall.faucet(amount: dml(1)).call)
        #expect(throws: TransactionError.wrongChain(expected: chain.chainID, got: other)) {
            try transaction.verified(for: chain.chainID)
        }
    }

    @Test func aSignatureByAnotherKeyIsRefused() {
        let chain = TestChain()
        let payload = TransactionPayload(chain: chain.chainID, signer: .alice, nonce: 0, call: BalancesCall.faucet(amount: dml(1)).call)
        let forged = SignedTransaction(payload: payload, signature: AccountKey.bob.sign(payload.signingMessage))
        #expect(throws: TransactionError.badSignature(signer: .alice)) { try forged.verified(for: chain.chainID) }
    }

    @Test func malformedEncodingsAreRefusedWithTheReason() {
        #expect(throws: DecodingError.self) { try SignedTransaction(wire: []) }
        #expect(throws: DecodingError.tooLong(field: "transaction", offset: 0, length: SignedTransaction.encodedBytesMax + 1,
                                              max: SignedTransaction.encodedBytesMax)) {
            try SignedTransaction(wire: [UInt8](repeating: 1, count: SignedTransaction.encodedBytesMax + 1))
        }
        let chain = TestChain()
        var bytes = chain.sign(BalancesCall.faucet(amount: dml(1)).call, as: .alice).canonicalBytes
        bytes[0] = 2
        #expect(throws: DecodingError.self) { try SignedTransaction(wire: bytes) }
        #expect(throws: DecodingError.self) { try SignedTransaction(wire: Array(bytes.dropLast())) }
    }

    @Test func nonceReplayAndSkipAreRefusedAndARefusalDoesNotUseTheNonce() throws {
        var chain = TestChain()
        let transfer = BalancesCall.transfer(to: .bob, amount: dml(1)).call
        chain.expectRejected(transfer, as: .alice, .nonceTooHigh(signer: .alice, expected: 0, got: 1), nonce: 1)
        try chain.submit(transfer, as: .alice, nonce: 0)
        chain.expectRejected(transfer, as: .alice, .nonceAlreadyUsed(signer: .alice, expected: 1, got: 0), nonce: 0)
        chain.expectRejected(BalancesCall.transfer(to: .bob, amount: dml(1_000)).call, as: .alice,
                             .balances(.insufficientBalance(account: .alice, needed: dml(1_000), free: dml(99))))
        #expect(chain.ledger.nextNonce(of: .alice) == 1)
        try chain.submit(transfer, as: .alice, nonce: 1)
        chain.checkInvariants()
    }

    @Test func theSameSignedTransactionCannotBeAppliedTwiceEvenInOneBlock() {
        var chain = TestChain()
        let transaction = chain.sign(BalancesCall.transfer(to: .bob, amount: dml(1)).call, as: .alice)
        let outcomes = chain.produce([transaction, transaction])
        #expect(outcomes[0] == .success(()))
        #expect(outcomes[1] == .failure(.nonceAlreadyUsed(signer: .alice, expected: 1, got: 0)))
        #expect(chain.free(.bob) == dml(99))
        chain.checkInvariants()
    }

    @Test func sequentialNoncesFromOneAccountApplyInOneBlockInOrder() {
        var chain = TestChain()
        let transactions = (0..<5).map { nonce in
            chain.sign(BalancesCall.transfer(to: .bob, amount: dml(1)).call, as: .alice, nonce: UInt64(nonce))
        }
        #expect(chain.produce(transactions).allSatisfy { $0 == .success(()) })
        #expect(chain.blocks.last?.transactions.count == 5)
        #expect(chain.ledger.nextNonce(of: .alice) == 5)
    }

    /// The order in which the envelope is checked: each row breaks one more rule than the ledger
    /// checks before it, and must be refused for that rule.
    @Test func envelopeRejectionsComeInTheDocumentedOrder() throws {
        var chain = TestChain()
        chain.expectRejected(Call(module: ModuleID(999), body: [0]), as: .alice, .moduleNotActive(ModuleID(999)), nonce: 0)
        chain.expectRejected(Call(module: ModuleID(999), body: [0]), as: .alice,
                             .nonceTooHigh(signer: .alice, expected: 0, got: 3), nonce: 3)
        chain.expectRejected(Call(module: .balances, body: [7]), as: .alice, .unknownCall(.balances, version: 2, tag: 7))
        chain.expectRejected(Call(module: .balances, body: [0, 1]), as: .alice,
                             .malformedCall(.balances, .truncated(field: "account", offset: 1, needed: 32, available: 1)))
        var trailing = BalancesCall.faucet(amount: dml(1)).canonicalBytes
        trailing.append(0)
        chain.expectRejected(Call(module: .balances, body: trailing), as: .alice,
                             .malformedCall(.balances, .trailingBytes(what: "value", offset: 9, count: 1)))
        chain.checkInvariants()
    }

    @Test func everyRejectionHasAStableCodeAndAMessage() {
        let errors: [TransactionError] = [
            .malformed(.truncated(field: "x", offset: 0, needed: 1, available: 0)),
            .wrongChain(expected: .zero, got: .zero), .badSignature(signer: .alice),
            .nonceAlreadyUsed(signer: .alice, expected: 1, got: 0), .nonceTooHigh(signer: .alice, expected: 0, got: 1),
            .moduleNotActive(.balances), .moduleLogicMissing(.balances, version: 9),
            .unknownCall(.balances, version: 1, tag: 9), .balances(.zeroAmount), .roles(.lastSuperAdmin),
            .registry(.nothingScheduled(module: .balances)),
        ]
        let codes = errors.map(\.code)
        #expect(Set(codes).count == codes.count)
        #expect(errors.allSatisfy { !$0.description.isEmpty })
    }
}
