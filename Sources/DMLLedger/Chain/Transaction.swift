import DMLCore

/// What an account signs: which chain, who, which nonce, and the call.
///
/// The signed message is the ASCII domain tag `DML-TX` followed by this payload's canonical
/// bytes, so a transaction signature can never be mistaken for any other DML signature.
public struct TransactionPayload: Hashable, Sendable, CanonicalCodable {
    /// The only transaction format version defined.
    public static let currentVersion: UInt8 = 1
    public static let signingDomain = Array("DML-TX".utf8)

    public let chain: Hash256
    public let signer: AccountID
    public let nonce: UInt64
    public let call: Call

    public init(chain: Hash256, signer: AccountID, nonce: UInt64, call: Call) {
        self.chain = chain
        self.signer = signer
        self.nonce = nonce
        self.call = call
    }

    /// The exact bytes the signer signs.
    public var signingMessage: [UInt8] { Self.signingDomain + canonicalBytes }

    public func encode(to writer: inout ByteWriter) {
        writer.write(Self.currentVersion)
        writer.write(chain)
        writer.write(signer)
        writer.write(nonce)
        writer.write(call)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        let version = try reader.readUInt8("version")
        guard version == Self.currentVersion else {
            throw .invalidValue(field: "version", offset: start, reason: "transaction version \(version) is not supported (only 1)")
        }
        chain = try reader.read()
        signer = try reader.read()
        nonce = try reader.readUInt64("nonce")
        call = try reader.read()
    }

    /// Signs the payload with `key`, which must be the signer's.
    public func signed(with key: AccountKey) -> SignedTransaction {
        precondition(key.account == signer, "signing key does not match the payload's signer")
        return SignedTransaction(payload: self, signature: key.sign(signingMessage))
    }
}

/// A payload and its Ed25519 signature, as sent over the wire and stored in blocks.
public struct SignedTransaction: Hashable, Sendable, CanonicalCodable {
    public static let signatureByteCount = 64
    /// The most bytes an encoded transaction may have.
    public static let encodedBytesMax = Call.bodyBytesMax + 256

    public let payload: TransactionPayload
    public let signature: [UInt8]

    public init(payload: TransactionPayload, signature: [UInt8]) {
        self.payload = payload
        self.signature = signature
    }

    /// Builds and signs a transaction in one step.
    public init(chain: Hash256, key: AccountKey, nonce: UInt64, call: Call) {
        self = TransactionPayload(chain: chain, signer: key.account, nonce: nonce, call: call).signed(with: key)
    }

    /// Decodes a whole transaction, rejecting oversize input before reading it.
    public init(wire bytes: [UInt8]) throws(DecodingError) {
        guard bytes.count <= Self.encodedBytesMax else {
            throw .tooLong(field: "transaction", offset: 0, length: bytes.count, max: Self.encodedBytesMax)
        }
        try self.init(canonicalBytes: bytes)
    }

    /// The transaction's identity: SHA-256 of its full canonical encoding.
    public var hash: Hash256 { Hash256.of(canonicalBytes) }

    /// Checks the signature and the chain. Pure and thread-safe: the sequencer runs it on every
    /// core at once before the ordered application.
    public func verified(for chain: Hash256) throws(TransactionError) -> VerifiedTransaction {
        guard payload.chain == chain else { throw .wrongChain(expected: chain, got: payload.chain) }
        guard payload.signer.isValidSignature(signature, for: payload.signingMessage) else {
            throw .badSignature(signer: payload.signer)
        }
        return VerifiedTransaction(transaction: self, hash: hash)
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(payload)
        writer.writeFixed(signature)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        payload = try reader.read()
        signature = try reader.readFixed(Self.signatureByteCount, "signature")
    }
}

/// A transaction whose signature and chain have been checked; only `SignedTransaction.verified`
/// (or the log replay of blocks already verified) makes one.
public struct VerifiedTransaction: Hashable, Sendable {
    public let transaction: SignedTransaction
    public let hash: Hash256

    /// For replaying one's own durable log, whose signatures were checked before it was written.
    public init(trustingLogged transaction: SignedTransaction) {
        self.transaction = transaction
        hash = transaction.hash
    }

    init(transaction: SignedTransaction, hash: Hash256) {
        self.transaction = transaction
        self.hash = hash
    }

    public var signer: AccountID { transaction.payload.signer }
    public var nonce: UInt64 { transaction.payload.nonce }
    public var call: Call { transaction.payload.call }
}
