import DMLCore

/// The few DAG-CBOR items a manifest uses (RFC 8949 with the DAG-CBOR rules): every item starts
/// with a head — major type in the top 3 bits, then the argument in its shortest form.
enum CBOR {
    enum MajorType: UInt8 {
        case unsignedInteger = 0
        case byteString = 2
        case textString = 3
        case array = 4
        case map = 5
        case tag = 6
    }

    /// The tag DAG-CBOR gives a CID link; its content is a byte string `0x00 ‖ binary CID`.
    static let cidTag: UInt64 = 42

    /// Appends a head with `argument` in the shortest of the five forms, as DAG-CBOR requires.
    static func writeHead(_ major: MajorType, _ argument: UInt64, to bytes: inout [UInt8]) {
        let top = major.rawValue << 5
        switch argument {
        case 0..<24: bytes.append(top | UInt8(argument))
        case 24..<0x100: bytes += [top | 24, UInt8(argument)]
        case 0x100..<0x1_0000: bytes.append(top | 25); appendBigEndian(UInt16(argument), to: &bytes)
        case 0x1_0000..<0x1_0000_0000: bytes.append(top | 26); appendBigEndian(UInt32(argument), to: &bytes)
        default: bytes.append(top | 27); appendBigEndian(argument, to: &bytes)
        }
    }

    static func writeText(_ text: String, to bytes: inout [UInt8]) {
        writeHead(.textString, UInt64(text.utf8.count), to: &bytes)
        bytes += text.utf8
    }

    /// A CID link: tag 42 over the byte string `0x00 ‖ cid` (the 0x00 is the multibase "identity" prefix).
    static func writeLink(_ id: ContentID, to bytes: inout [UInt8]) {
        let binary = id.bytes
        writeHead(.tag, cidTag, to: &bytes)
        writeHead(.byteString, UInt64(1 + binary.count), to: &bytes)
        bytes.append(0)
        bytes += binary
    }

    private static func appendBigEndian<Integer: FixedWidthInteger>(_ value: Integer, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }
}

/// Reads CBOR heads strictly: only definite lengths, only shortest arguments.
struct CBORReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Reads a head and fails unless its major type is `expected`; returns its argument.
    mutating func readHead(_ expected: CBOR.MajorType, _ field: String) throws(DecodingError) -> UInt64 {
        let start = offset
        let initial = try readByte(field)
        guard initial >> 5 == expected.rawValue else {
            throw .invalidValue(field: field, offset: start, reason: "expected CBOR major type \(expected.rawValue), found \(initial >> 5)")
        }
        let argument = try readArgument(additional: initial & 0x1f, field)
        guard Self.isShortest(argument, additional: initial & 0x1f) else {
            throw .invalidValue(field: field, offset: start, reason: "the argument \(argument) is not in its shortest form")
        }
        return argument
    }

    /// Reads a text string and fails unless it is exactly `expected`.
    mutating func expectText(_ expected: String, _ field: String) throws(DecodingError) {
        let start = offset
        let length = try readHead(.textString, field)
        guard length == UInt64(expected.utf8.count), try readBytes(Int(length), field) == Array(expected.utf8) else {
            throw .invalidValue(field: field, offset: start, reason: "expected the key \"\(expected)\"")
        }
    }

    mutating func readBytes(_ count: Int, _ field: String) throws(DecodingError) -> [UInt8] {
        guard bytes.count - offset >= count else {
            throw .truncated(field: field, offset: offset, needed: count, available: bytes.count - offset)
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    func expectEnd(_ what: String) throws(DecodingError) {
        guard offset == bytes.count else { throw .trailingBytes(what: what, offset: offset, count: bytes.count - offset) }
    }

    private mutating func readByte(_ field: String) throws(DecodingError) -> UInt8 {
        try readBytes(1, field)[0]
    }

    private mutating func readArgument(additional: UInt8, _ field: String) throws(DecodingError) -> UInt64 {
        switch additional {
        case 0..<24: return UInt64(additional)
        case 24...27:
            let width = 1 << Int(additional - 24)
            return try readBytes(width, field).reduce(0) { $0 << 8 | UInt64($1) }
        default:
            // 28–30 are reserved; 31 is an indefinite length, which DAG-CBOR forbids.
            let reason = "additional information \(additional) (reserved or indefinite length)"
            throw .invalidValue(field: field, offset: offset - 1, reason: reason)
        }
    }

    private static func isShortest(_ argument: UInt64, additional: UInt8) -> Bool {
        switch additional {
        case 24: argument >= 24
        case 25: argument >= 0x100
        case 26: argument >= 0x1_0000
        case 27: argument >= 0x1_0000_0000
        default: true
        }
    }
}
