import DMLCore
import DMLLedger
import DMLNode
import Foundation
import Testing

/// `Tests/python/dml_sign.py` was written from `docs/protocol.md` alone. A transaction it
/// builds and signs must be accepted by the ledger; the same bytes with one byte flipped must not.
@Suite struct PythonSignerTests {
    static func pythonAvailable() async -> Bool {
        (try? await runProcess("/usr/bin/env", ["python3", "-c", "import cryptography"]).status) == 0
    }

    @Test func aTransactionSignedByThePythonScriptIsAcceptedAndAFlippedByteIsNot() async throws {
        guard await Self.pythonAvailable() else {
            if ProcessInfo.processInfo.environment["DML_REQUIRE_PYTHON"] == "1" {
                Issue.record("python3 with the cryptography package is required (scripts/test installs it)")
            }
            return
        }
        let sender = try AccountKey(seed: Array(repeating: 7, count: 32))
        let recipient = AccountKey.insecureDerived(from: "python-recipient")
        let spec = ChainSpec(name: "dml-python", isDevelopment: true, genesisTimestampMilliseconds: 1_700_000_000_000,
                             allocations: [.init(sender.account, .tokens(10)!)], superAdmins: [sender.account])

        func pythonSigned(nonce: UInt64, amount: UInt64) async throws -> [UInt8] {
            let run = try await runProcess("/usr/bin/env", [
                "python3", Fixtures.packageRoot + "/Tests/python/dml_sign.py",
                "--seed", Hex.encode(sender.seed), "--chain", spec.id.hex, "--nonce", String(nonce),
                "--to", recipient.account.address, "--amount", String(amount),
            ])
            #expect(run.status == 0, "\(run.error)")
            return try #require(Hex.decode(run.output.trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { $0.isEmpty ? nil : $0 })
        }

        // Signed before the chain opens; the chain is closed however the checks end.
        let bytes = try await pythonSigned(nonce: 0, amount: 1_500_000_000)
        let chain = try await LocalChain.open(.sqlite(path: Fixtures.temporaryDirectory() + "/ledger.sqlite"), spec: spec)
        try await withClosing(chain, close: { await $0.close() }) { chain in
            var flipped = bytes
            flipped[flipped.count / 2] ^= 0x01
            let tampered = try? SignedTransaction(wire: flipped)
            if let tampered {
                let outcome = await chain.service.submit(tampered)
                #expect((try? outcome.get()) == nil, "a tampered transaction was accepted")
            }
            let transaction = try SignedTransaction(wire: bytes)
            let outcome = await chain.service.submit(transaction)
            #expect((try? outcome.get())?.height == 1, "\(outcome)")
            #expect(await chain.service.ledger.balance(of: recipient.account).free == Amount(baseUnits: 1_500_000_000))
        }

        // The script's vector mode reproduces docs/protocol.md's test vector byte for byte.
        let vector = try await runProcess("/usr/bin/env", ["python3", Fixtures.packageRoot + "/Tests/python/dml_sign.py", "--vector"])
        #expect(vector.status == 0, "\(vector.output)\(vector.error)")
    }
}
