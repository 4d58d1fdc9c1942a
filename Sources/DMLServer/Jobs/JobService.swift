import Crypto
import DMLBlobs
import DMLCore
import DMLLedger
import DMLSandbox
import Foundation
import Synchronization

/// What the API does for jobs beyond the ledger: it hands out leases, checks every result
/// (receipt signature, nonce, output schema, re-running challenges and disclosed inputs in its
/// own sandbox) and only then signs the ledger call that pays the device, as the job's
/// validator.
///
/// The validator key is derived from the server secret, so every API process of one
/// deployment signs as the same validator.
final class JobService: Sendable {
    let board: JobBoard
    let validator: AccountKey
    let runner: any AlgorithmRunner
    /// For aggregation rules that run a reducer module (in-process, fuel-bounded).
    let reducer = Sandbox()
    let leaseMilliseconds: UInt64
    let challengeRate: Double
    private let packages = Mutex<[Hash256: AlgorithmPackage]>([:])

    init(database: APIDatabase, secret: [UInt8], runner: any AlgorithmRunner, leaseSeconds: Int, challengeRate: Double) {
        board = JobBoard(database: database)
        validator = Self.validatorKey(secret: secret)
        self.runner = runner
        leaseMilliseconds = UInt64(max(1, leaseSeconds)) * 1_000
        self.challengeRate = challengeRate
    }

    static func validatorKey(secret: [UInt8]) -> AccountKey {
        let seed = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: secret),
                                          info: Array("dml-job-validator-v1".utf8), outputByteCount: 32)
        let bytes = seed.withUnsafeBytes { Array($0) }
        guard let key = try? AccountKey(seed: bytes) else { preconditionFailure("a 32-byte seed is a valid Ed25519 seed") }
        return key
    }

    static func cid(_ address: ContentAddress) -> String {
        (try? ContentID(bytes: address.bytes)).map(\.description) ?? Hex.encode(address.bytes)
    }

    /// The package stored at `artifact`, checked against `expected` (a job's algorithm address).
    func package(artifact: ContentAddress, expected: Hash256?, artifacts: FileBlobStore) async throws -> AlgorithmPackage {
        if let expected, let cached = packages.withLock({ $0[expected] }) { return cached }
        guard let cid = try? ContentID(bytes: artifact.bytes), artifacts.contains(cid) else {
            throw APIError(.notFound, "jobs.package_missing", "the package \(Self.cid(artifact)) is not in this server's artifact store")
        }
        var bytes: [UInt8] = []
        for try await piece in try artifacts.read(cid) { bytes += piece }
        let package: AlgorithmPackage
        do { package = try AlgorithmPackage(bytes: bytes) } catch {
            throw APIError(.unprocessableContent, error.code, "the algorithm's artifact is not a usable package: \(error.description)")
        }
        if let expected, package.address != expected {
            throw APIError(.unprocessableContent, "jobs.package_mismatch", "the stored package does not hash to the job's algorithm")
        }
        packages.withLock { cache in
            if cache.count > 32 { cache.removeAll() }
            cache[package.address] = package
        }
        return package
    }

    /// Bytes the device must also run: random data in the algorithm's input format.
    func challenge(for manifest: AlgorithmManifest) -> [UInt8]? {
        guard Double.random(in: 0..<1) < challengeRate else { return nil }
        var generator = SystemRandomNumberGenerator()
        switch manifest.input.format {
        case .f32Matrix:
            let columns = manifest.input.columns ?? 1
            let rows = (0..<8).map { _ in (0..<columns).map { _ in Float(Int.random(in: 0...16, using: &generator)) } }
            return InputCodec.matrix(rows, columns: columns)
        case .bytes:
            return (0..<256).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
    }

    /// Throws the API error that says why the result cannot be paid; otherwise returns whether
    /// a challenge and a disclosed input were re-run (with `runner`) and matched.
    func check(_ body: ResultBody, output: [UInt8], lease: JobBoard.Lease, package: AlgorithmPackage,
               device: AccountID) async throws(APIError) -> (challenged: Bool, audited: Bool) {
        let receipt = body.receipt
        guard receipt.device == device else {
            throw APIError(.forbidden, "jobs.receipt_not_yours", "the receipt is signed for \(receipt.device), you are \(device)")
        }
        guard receipt.isSignatureValid else {
            throw APIError(.unprocessableContent, "jobs.bad_receipt_signature", "the receipt's signature does not verify for \(device)")
        }
        guard receipt.algorithm == package.address else {
            throw APIError(.unprocessableContent, "jobs.receipt_mismatch", "the receipt names algorithm \(receipt.algorithm.short)…, the job runs \(package.address.short)…")
        }
        guard receipt.nonce == lease.nonce else {
            throw APIError(.unprocessableContent, "jobs.receipt_mismatch", "the receipt's nonce is not this lease's")
        }
        guard receipt.outputDigest == Hash256.of(output) else {
            throw APIError(.unprocessableContent, "jobs.receipt_mismatch", "the output does not hash to the receipt's output digest")
        }
        if let problem = OutputCodec.problem(with: output, schema: package.manifest.output) {
            throw APIError(.unprocessableContent, "jobs.bad_output", problem)
        }
        var challenged = false
        if let challenge = lease.challenge {
            guard let answer = body.challenge, let answerOutput = Data(base64Encoded: answer.output).map({ [UInt8]($0) }) else {
                throw APIError(.unprocessableContent, "jobs.challenge_missing", "this lease carried a challenge: send its output and receipt as 'challenge'")
            }
            let signed = answer.receipt
            guard signed.device == device, signed.isSignatureValid, signed.nonce == lease.nonce,
                  signed.inputDigest == Hash256.of(challenge), signed.outputDigest == Hash256.of(answerOutput) else {
                throw APIError(.unprocessableContent, "jobs.challenge_failed", "the challenge receipt is not a signed run of the challenge by you")
            }
            let rerun = await runner.run(package, input: challenge)
            guard signed.matches(rerun, algorithm: package.address) else {
                throw APIError(.unprocessableContent, "jobs.challenge_failed",
                               "re-running the challenge gave \(rerun.outcome) with output \(rerun.outputDigest.short)…, not what you signed")
            }
            challenged = true
        }
        var audited = false
        if let disclosed = body.auditInput {
            guard let input = Data(base64Encoded: disclosed).map({ [UInt8]($0) }) else {
                throw APIError.invalid("auditInput", "base64 of the input the device ran")
            }
            guard Hash256.of(input) == receipt.inputDigest else {
                throw APIError(.unprocessableContent, "jobs.audit_failed", "the disclosed input does not hash to the receipt's input digest")
            }
            let rerun = await runner.run(package, input: input)
            guard receipt.matches(rerun, algorithm: package.address) else {
                throw APIError(.unprocessableContent, "jobs.audit_failed",
                               "re-running the disclosed input gave \(rerun.outcome) with output \(rerun.outputDigest.short)…, not what you signed")
            }
            audited = true
        }
        return (challenged, audited)
    }
}
