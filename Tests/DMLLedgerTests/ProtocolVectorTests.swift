import DMLCore
import DMLLedger
import Foundation
import Testing

/// The test vector of `docs/protocol.md`, recomputed from the code. If the encoding ever
/// changes, this fails until the document (and every client) is updated.
@Suite struct ProtocolVectorTests {
    static let signer = try! AccountKey(seed: Array(1...32))
    static let recipient = try! AccountKey(seed: Array(33...64))
    static let spec = ChainSpec(
        name: "dml-vector", isDevelopment: true, genesisTimestampMilliseconds: 1_700_000_000_000,
        modules: [.init(.registry, 1), .init(.roles, 1), .init(.balances, 2)], allocations: [.init(signer.account, dml(1_000))],
        superAdmins: [signer.account], faucetAmountMax: dml(1_000))

    static var transaction: SignedTransaction {
        SignedTransaction(chain: spec.id, key: signer, nonce: 0,
                          call: BalancesCall.transfer(to: recipient.account, amount: Amount(baseUnits: 2_500_000_000)).call)
    }

    /// Placeholder → value, as they appear in the document.
    static var vectors: [(String, String)] {
        let transaction = transaction
        return [
            ("VECTOR_SEED", Hex.encode(signer.seed)),
            ("VECTOR_SIGNER", Hex.encode(signer.account.bytes)),
            ("VECTOR_ADDRESS", signer.account.address),
            ("VECTOR_RECIPIENT_ADDRESS", recipient.account.address),
            ("VECTOR_RECIPIENT", Hex.encode(recipient.account.bytes)),
            ("VECTOR_CHAIN", spec.id.hex),
            ("VECTOR_BODY", Hex.encode(transaction.payload.call.body)),
            ("VECTOR_PAYLOAD", Hex.encode(transaction.payload.canonicalBytes)),
            ("VECTOR_MESSAGE", Hex.encode(transaction.payload.signingMessage)),
            ("VECTOR_SIGNATURE", Hex.encode(transaction.signature)),
            ("VECTOR_TRANSACTION", Hex.encode(transaction.canonicalBytes)),
            ("VECTOR_HASH", transaction.hash.hex),
            ("VECTOR_SPEC", Hex.encode(spec.canonicalBytes)),
        ]
    }

    static var documentPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/protocol.md").path
    }

    @Test func theDocumentedVectorsAreWhatTheCodeComputes() throws {
        let document = try String(contentsOfFile: Self.documentPath, encoding: .utf8)
        for (name, value) in Self.vectors {
            #expect(document.contains(value), "docs/protocol.md lacks \(name) = \(value)")
        }
    }

    @Test func theVectorTransactionIsAcceptedByAChainWithThatSpec() throws {
        var (ledger, _) = try Ledger.genesis(Self.spec)
        let verified = try Self.transaction.verified(for: ledger.chainID)
        let production = ledger.produceBlock(timestampMilliseconds: 1_700_000_001_000, transactions: [verified])
        #expect(production.rejections.isEmpty)
        #expect(ledger.balance(of: Self.recipient.account).free == Amount(baseUnits: 2_500_000_000))
    }
}
