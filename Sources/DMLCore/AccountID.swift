import Crypto

/// An account: an Ed25519 public key (32 bytes).
///
/// People see it as an address, `dml1…`, in Bech32m with a checksum, so a mistyped address is
/// rejected instead of silently credited to a key nobody holds.
public struct AccountID: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    public static let byteCount = 32
    /// The human-readable prefix of every address.
    public static let addressPrefix = "dml"

    public let bytes: [UInt8]

    /// `nil` unless `bytes` is 32 bytes long.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// Parses an address such as `dml1…`, checking its checksum and length.
    public init(address: String) throws(AddressError) {
        let data: [UInt8]
        do {
            data = try Bech32m.decode(address, humanPart: Self.addressPrefix)
        } catch {
            throw AddressError(address: address, failure: error)
        }
        guard data.count == Self.byteCount else {
            throw AddressError(address: address, reason: "decodes to \(data.count) bytes, an account key has 32")
        }
        bytes = data
    }

    /// The checksummed text form, `dml1…` (62 characters).
    public var address: String { Bech32m.encode(humanPart: Self.addressPrefix, data: bytes) }
    public var description: String { address }

    /// Whether `signature` is a valid Ed25519 signature by this key over `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else { return false }
        return key.isValidSignature(signature, for: message)
    }

    public static func < (lhs: AccountID, rhs: AccountID) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    public func encode(to writer: inout ByteWriter) { writer.writeFixed(bytes) }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        bytes = try reader.readFixed(Self.byteCount, "account")
    }
}

/// A text that is not a valid DML address, and why.
public struct AddressError: Error, Equatable, Sendable, CustomStringConvertible {
    public let address: String
    public let reason: String

    init(address: String, reason: String) {
        self.address = address
        self.reason = reason
    }

    init(address: String, failure: Bech32m.Failure) {
        let reason = switch failure {
        case .mixedCase: "mixes upper and lower case"
        case .noSeparator: "has no '1' separator after the 'dml' prefix"
        case .wrongPrefix(let prefix): "has prefix '\(prefix)', expected 'dml'"
        case .invalidCharacter(let character): "contains '\(character)', which is not in the address alphabet"
        case .badChecksum: "fails its checksum (a character is mistyped or missing)"
        case .badPadding: "has invalid padding bits"
        }
        self.init(address: address, reason: reason)
    }

    public var description: String { "invalid address '\(address)': \(reason)" }
}

/// An Ed25519 signing key: the secret behind an `AccountID`.
public struct AccountKey: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    /// A new random key.
    public init() { key = Curve25519.Signing.PrivateKey() }

    /// The key whose RFC 8032 seed is `seed` (32 bytes).
    public init(seed: [UInt8]) throws(KeyError) {
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw KeyError(reason: "an Ed25519 seed is 32 bytes, got \(seed.count)")
        }
        self.key = key
    }

    /// A key derived from a name, for tests, demos and simulations only: anyone can recompute it.
    public static func insecureDerived(from name: String) -> AccountKey {
        let seed = Hash256.of(Array("dml-insecure-test-key:\(name)".utf8)).bytes
        guard let key = try? AccountKey(seed: seed) else { preconditionFailure("a SHA-256 digest is a valid seed") }
        return key
    }

    public var seed: [UInt8] { Array(key.rawRepresentation) }
    public var account: AccountID { AccountID(bytes: Array(key.publicKey.rawRepresentation))! }

    /// The 64-byte Ed25519 signature of `message` (deterministic, RFC 8032).
    public func sign(_ message: [UInt8]) -> [UInt8] {
        // Signing can only fail on allocation failure: a bug, not an input error.
        guard let signature = try? key.signature(for: message) else { preconditionFailure("Ed25519 signing failed") }
        return Array(signature)
    }
}

public struct KeyError: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { "invalid key: \(reason)" }
}
