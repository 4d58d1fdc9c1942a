/// A typed counter identifier: `Identifier<Bounty>` cannot be passed where an
/// `Identifier<Bucket>` is expected. Identifiers are assigned from per-module counters, never
/// random, so that replay produces the same ones.
public struct Identifier<Tag>: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// The identifier after this one; `nil` when the counter is exhausted.
    public var next: Identifier? {
        rawValue == .max ? nil : Identifier(rawValue + 1)
    }

    public static func < (lhs: Identifier, rhs: Identifier) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "\(rawValue)" }

    public func encode(to writer: inout ByteWriter) { writer.write(rawValue) }
    public init(from reader: inout ByteReader) throws(DecodingError) { rawValue = try reader.readUInt64("identifier") }
}
