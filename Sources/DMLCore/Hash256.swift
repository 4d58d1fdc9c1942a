import Crypto

/// A SHA-256 digest: block hashes, transaction hashes, state roots, content digests.
public struct Hash256: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    public static let byteCount = 32
    public static let zero = Hash256(unchecked: [UInt8](repeating: 0, count: 32))

    public let bytes: [UInt8]

    /// `nil` unless exactly 32 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// Parses 64 hex characters.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// SHA-256 of `data`.
    public static func of<Bytes: Sequence<UInt8>>(_ data: Bytes) -> Hash256 {
        var hasher = SHA256()
        hasher.update(data: Array(data))
        return Hash256(unchecked: Array(hasher.finalize()))
    }

    /// SHA-256 of the concatenation of `parts`, without copying them together first.
    public static func of(parts: [[UInt8]]) -> Hash256 {
        var hasher = SHA256()
        for part in parts { hasher.update(data: part) }
        return Hash256(unchecked: Array(hasher.finalize()))
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
    /// The first 8 bytes in hex, for humans reading logs.
    public var short: String { String(hex.prefix(16)) }

    public static func < (lhs: Hash256, rhs: Hash256) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    public func encode(to writer: inout ByteWriter) { writer.writeFixed(bytes) }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        bytes = try reader.readFixed(Self.byteCount, "hash")
    }
}
