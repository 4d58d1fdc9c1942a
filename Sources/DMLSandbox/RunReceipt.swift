import DMLCore

/// A device's signed statement of one run: this package, on input with this digest, produced
/// output with this digest using this much fuel. Runs are deterministic, so anyone holding the
/// package and the input re-runs it and checks every field bit for bit.
///
/// Signed bytes (docs/algorithms.md has a test vector): the ASCII domain `DML-RUN-RECEIPT-1`,
/// then algorithm (32), input digest (32), output digest (32), fuel used (u64 LE), device key
/// (32), nonce (32). The nonce binds the receipt to one piece of work (a job lease), so a
/// receipt cannot be replayed for another; local runs use zeros.
public struct RunReceipt: Sendable, Equatable, Codable {
    public static let domain = Array("DML-RUN-RECEIPT-1".utf8)

    public var algorithm: Hash256
    public var inputDigest: Hash256
    public var outputDigest: Hash256
    public var fuelUsed: UInt64
    public var device: AccountID
    public var nonce: Hash256
    public var signature: [UInt8]

    /// Signs a completed run.
    public init(result: RunResult, algorithm: Hash256, nonce: Hash256 = .zero, key: AccountKey) {
        self.algorithm = algorithm
        self.inputDigest = result.inputDigest
        self.outputDigest = result.outputDigest
        self.fuelUsed = result.fuelUsed
        self.device = key.account
        self.nonce = nonce
        self.signature = []
        self.signature = key.sign(signedBytes)
    }

    public var signedBytes: [UInt8] {
        var writer = ByteWriter(capacity: 200)
        writer.writeFixed(Self.domain)
        writer.write(algorithm)
        writer.write(inputDigest)
        writer.write(outputDigest)
        writer.write(fuelUsed)
        writer.write(device)
        writer.write(nonce)
        return writer.bytes
    }

    public var isSignatureValid: Bool { device.isValidSignature(signature, for: signedBytes) }

    /// Whether a re-run reproduces this receipt (same input, output and fuel).
    public func matches(_ rerun: RunResult, algorithm: Hash256) -> Bool {
        rerun.outcome == .completed && self.algorithm == algorithm && rerun.inputDigest == inputDigest
            && rerun.outputDigest == outputDigest && rerun.fuelUsed == fuelUsed
    }

    /// The receipt's identity (digest of the signed bytes and signature).
    public var digest: Hash256 { Hash256.of(signedBytes + signature) }

    // JSON: digests and keys as hex, the device as its address.
    enum CodingKeys: String, CodingKey { case algorithm, inputDigest, outputDigest, fuelUsed, device, nonce, signature }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func hash(_ key: CodingKeys) throws -> Hash256 {
            let text = try container.decode(String.self, forKey: key)
            guard let hash = Hash256(hex: text) else {
                throw Swift.DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not 64 hex digits")
            }
            return hash
        }
        algorithm = try hash(.algorithm)
        inputDigest = try hash(.inputDigest)
        outputDigest = try hash(.outputDigest)
        nonce = try hash(.nonce)
        fuelUsed = try container.decode(UInt64.self, forKey: .fuelUsed)
        let address = try container.decode(String.self, forKey: .device)
        do { device = try AccountID(address: address) } catch {
            throw Swift.DecodingError.dataCorruptedError(forKey: .device, in: container, debugDescription: error.description)
        }
        let signatureText = try container.decode(String.self, forKey: .signature)
        guard let signature = Hex.decode(signatureText), signature.count == 64 else {
            throw Swift.DecodingError.dataCorruptedError(forKey: .signature, in: container, debugDescription: "not 128 hex digits")
        }
        self.signature = signature
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(algorithm.hex, forKey: .algorithm)
        try container.encode(inputDigest.hex, forKey: .inputDigest)
        try container.encode(outputDigest.hex, forKey: .outputDigest)
        try container.encode(fuelUsed, forKey: .fuelUsed)
        try container.encode(device.address, forKey: .device)
        try container.encode(nonce.hex, forKey: .nonce)
        try container.encode(Hex.encode(signature), forKey: .signature)
    }
}
