/// Reads DML's canonical binary encoding, rejecting anything that is not exactly canonical.
///
/// Every read is bounds-checked and every variable field has a maximum, so a hostile input
/// can neither crash the reader nor make it allocate more than the input's own size.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        offset = 0
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset == bytes.count }

    public mutating func readUInt8(_ field: StaticString = "u8") throws(DecodingError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated(field: "\(field)", offset: offset, needed: 1, available: 0) }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readUInt16(_ field: StaticString = "u16") throws(DecodingError) -> UInt16 {
        try readLittleEndian(field)
    }

    public mutating func readUInt32(_ field: StaticString = "u32") throws(DecodingError) -> UInt32 {
        try readLittleEndian(field)
    }

    public mutating func readUInt64(_ field: StaticString = "u64") throws(DecodingError) -> UInt64 {
        try readLittleEndian(field)
    }

    public mutating func readBool(_ field: StaticString = "bool") throws(DecodingError) -> Bool {
        let start = offset
        switch try readUInt8(field) {
        case 0: return false
        case 1: return true
        case let other: throw .invalidValue(field: "\(field)", offset: start, reason: "bool must be 0 or 1, found \(other)")
        }
    }

    /// Exactly `count` raw bytes (a fixed-size field).
    public mutating func readFixed(_ count: Int, _ field: StaticString) throws(DecodingError) -> [UInt8] {
        guard remaining >= count else {
            throw .truncated(field: "\(field)", offset: offset, needed: count, available: remaining)
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// A `u32` length (at most `maxBytes`), then that many bytes.
    public mutating func readVariable(maxBytes: Int, _ field: StaticString) throws(DecodingError) -> [UInt8] {
        let start = offset
        let length = Int(try readUInt32(field))
        guard length <= maxBytes else { throw .tooLong(field: "\(field)", offset: start, length: length, max: maxBytes) }
        return try readFixed(length, field)
    }

    /// A length-prefixed UTF-8 string of at most `maxBytes` bytes.
    public mutating func readString(maxBytes: Int, _ field: StaticString) throws(DecodingError) -> String {
        let start = offset
        let raw = try readVariable(maxBytes: maxBytes, field)
        guard let string = String(validating: raw, as: UTF8.self) else {
            throw .invalidValue(field: "\(field)", offset: start, reason: "not valid UTF-8")
        }
        return string
    }

    public mutating func read<Value: CanonicalDecodable>(_ type: Value.Type = Value.self) throws(DecodingError) -> Value {
        try Value(from: &self)
    }

    /// A `u32` count (at most `maxCount`), then each element.
    public mutating func readArray<Element: CanonicalDecodable>(
        of type: Element.Type = Element.self, maxCount: Int, _ field: StaticString
    ) throws(DecodingError) -> [Element] {
        let start = offset
        let count = Int(try readUInt32(field))
        guard count <= maxCount else { throw .tooLong(field: "\(field)", offset: start, length: count, max: maxCount) }
        var elements: [Element] = []
        elements.reserveCapacity(min(count, remaining))
        for _ in 0..<count { elements.append(try Element(from: &self)) }
        return elements
    }

    public mutating func readOptional<Value: CanonicalDecodable>(
        _ type: Value.Type = Value.self, _ field: StaticString
    ) throws(DecodingError) -> Value? {
        try readBool(field) ? try Value(from: &self) : nil
    }

    /// Fails unless every byte was consumed: trailing bytes would make two encodings of one value.
    public func expectEnd(_ what: StaticString) throws(DecodingError) {
        guard isAtEnd else { throw .trailingBytes(what: "\(what)", offset: offset, count: remaining) }
    }

    private mutating func readLittleEndian<Integer: FixedWidthInteger>(_ field: StaticString) throws(DecodingError) -> Integer {
        let size = MemoryLayout<Integer>.size
        guard remaining >= size else {
            throw .truncated(field: "\(field)", offset: offset, needed: size, available: remaining)
        }
        var value: Integer = 0
        for index in 0..<size { value |= Integer(bytes[offset + index]) << (8 * index) }
        offset += size
        return value
    }
}
