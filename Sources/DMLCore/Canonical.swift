/// A value with exactly one byte representation (see `docs/protocol.md`).
public protocol CanonicalEncodable {
    func encode(to writer: inout ByteWriter)
}

/// A value that can be read back from its canonical bytes, rejecting every other form.
public protocol CanonicalDecodable {
    init(from reader: inout ByteReader) throws(DecodingError)
}

public typealias CanonicalCodable = CanonicalEncodable & CanonicalDecodable

extension CanonicalEncodable {
    /// The value's canonical bytes.
    public var canonicalBytes: [UInt8] {
        var writer = ByteWriter()
        encode(to: &writer)
        return writer.bytes
    }
}

extension CanonicalDecodable {
    /// Decodes a whole buffer; trailing bytes are an error.
    public init(canonicalBytes bytes: [UInt8]) throws(DecodingError) {
        var reader = ByteReader(bytes)
        self = try Self(from: &reader)
        try reader.expectEnd("value")
    }
}

/// Why a byte string is not the canonical encoding of what it claims to be.
public enum DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(field: String, offset: Int, needed: Int, available: Int)
    case tooLong(field: String, offset: Int, length: Int, max: Int)
    case invalidValue(field: String, offset: Int, reason: String)
    case unknownTag(field: String, offset: Int, tag: UInt64)
    case trailingBytes(what: String, offset: Int, count: Int)

    public var description: String {
        switch self {
        case let .truncated(field, offset, needed, available):
            "truncated input: \(field) at byte \(offset) needs \(needed) bytes, only \(available) left"
        case let .tooLong(field, offset, length, max):
            "\(field) at byte \(offset) declares \(length), more than the maximum \(max)"
        case let .invalidValue(field, offset, reason):
            "invalid \(field) at byte \(offset): \(reason)"
        case let .unknownTag(field, offset, tag):
            "unknown \(field) tag \(tag) at byte \(offset)"
        case let .trailingBytes(what, offset, count):
            "\(count) unexpected trailing bytes after \(what) at byte \(offset)"
        }
    }
}

extension UInt64: CanonicalCodable {
    public func encode(to writer: inout ByteWriter) { writer.write(self) }
    public init(from reader: inout ByteReader) throws(DecodingError) { self = try reader.readUInt64() }
}

extension UInt32: CanonicalCodable {
    public func encode(to writer: inout ByteWriter) { writer.write(self) }
    public init(from reader: inout ByteReader) throws(DecodingError) { self = try reader.readUInt32() }
}

extension UInt8: CanonicalCodable {
    public func encode(to writer: inout ByteWriter) { writer.write(self) }
    public init(from reader: inout ByteReader) throws(DecodingError) { self = try reader.readUInt8() }
}

extension Bool: CanonicalCodable {
    public func encode(to writer: inout ByteWriter) { writer.write(self) }
    public init(from reader: inout ByteReader) throws(DecodingError) { self = try reader.readBool() }
}

extension Array: CanonicalEncodable where Element: CanonicalEncodable {
    public func encode(to writer: inout ByteWriter) { writer.write(self) }
}

extension Array: CanonicalDecodable where Element: CanonicalDecodable {
    public init(from reader: inout ByteReader) throws(DecodingError) {
        self = try reader.readArray(maxCount: 1 << 20, "sequence")
    }
}


/// An enum without payloads, encoded as its `u8` raw value; an unknown value is rejected.
public protocol CanonicalByteEnum: CanonicalCodable, RawRepresentable where RawValue == UInt8 {
    /// What the value is, for decoding errors ("task status").
    static var canonicalName: String { get }
}

extension CanonicalByteEnum {
    public func encode(to writer: inout ByteWriter) { writer.write(rawValue) }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        let raw = try reader.readUInt8("enum value")
        guard let value = Self(rawValue: raw) else { throw .unknownTag(field: Self.canonicalName, offset: start, tag: UInt64(raw)) }
        self = value
    }
}

/// Two values as one key: `first` then `second`, e.g. (bounty, participant) or (hub, recipient).
public struct Pair<First: CanonicalCodable & Hashable & Sendable, Second: CanonicalCodable & Hashable & Sendable>:
    Hashable, Sendable, CanonicalCodable {
    public let first: First
    public let second: Second

    public init(_ first: First, _ second: Second) {
        self.first = first
        self.second = second
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(first)
        writer.write(second)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        first = try reader.read()
        second = try reader.read()
    }
}
