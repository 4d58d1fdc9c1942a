/// Appends values in DML's canonical binary encoding (see `docs/protocol.md`).
///
/// The rules are few so that any language can reproduce them byte for byte:
/// integers are fixed-width little-endian; variable-length bytes and strings carry a `u32`
/// length prefix; sequences carry a `u32` count; optionals a `0`/`1` byte; enums a `u8` tag.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func write(_ value: UInt8) { bytes.append(value) }

    public mutating func write(_ value: UInt16) { writeLittleEndian(value) }

    public mutating func write(_ value: UInt32) { writeLittleEndian(value) }

    public mutating func write(_ value: UInt64) { writeLittleEndian(value) }

    public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    /// Raw bytes with no length prefix: for fixed-size fields (keys, hashes, signatures).
    public mutating func writeFixed<Bytes: Collection<UInt8>>(_ raw: Bytes) {
        bytes.append(contentsOf: raw)
    }

    /// A `u32` length, then the bytes.
    public mutating func writeVariable<Bytes: Collection<UInt8>>(_ raw: Bytes) {
        precondition(raw.count <= Int(UInt32.max), "variable field longer than u32 can say")
        write(UInt32(raw.count))
        bytes.append(contentsOf: raw)
    }

    /// A string as its UTF-8 bytes with a `u32` length.
    public mutating func write(_ string: String) { writeVariable(Array(string.utf8)) }

    public mutating func write<Value: CanonicalEncodable>(_ value: Value) { value.encode(to: &self) }

    /// A `u32` count, then each element.
    public mutating func write<Element: CanonicalEncodable>(_ elements: [Element]) {
        precondition(elements.count <= Int(UInt32.max), "sequence longer than u32 can say")
        write(UInt32(elements.count))
        for element in elements { element.encode(to: &self) }
    }

    /// `0` for none; `1` then the value.
    public mutating func write<Value: CanonicalEncodable>(_ value: Value?) {
        guard let value else { return bytes.append(0) }
        bytes.append(1)
        value.encode(to: &self)
    }

    private mutating func writeLittleEndian<Integer: FixedWidthInteger>(_ value: Integer) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
