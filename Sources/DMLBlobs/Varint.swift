/// The multiformats unsigned varint: 7 bits per byte, least significant group first, the high
/// bit set on every byte but the last (https://github.com/multiformats/unsigned-varint).
///
/// The spec caps a varint at 9 bytes and requires the shortest form, so one number has one
/// encoding; `decode` rejects the rest.
enum Varint {
    static let bytesMax = 9

    static func encode(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
        return bytes
    }

    enum Failure: Error, Equatable {
        case truncated
        case tooLong
        case notMinimal
    }

    /// Reads one varint starting at `offset` and moves `offset` past it.
    static func decode(_ bytes: [UInt8], at offset: inout Int) throws(Failure) -> UInt64 {
        var value: UInt64 = 0
        for position in 0..<bytesMax {
            guard offset + position < bytes.count else { throw .truncated }
            let byte = bytes[offset + position]
            value |= UInt64(byte & 0x7f) << (7 * position)
            guard byte & 0x80 == 0 else { continue }
            // A last byte of 0 after others adds nothing: a longer spelling of a shorter varint.
            guard byte != 0 || position == 0 else { throw .notMinimal }
            offset += position + 1
            return value
        }
        throw .tooLong
    }
}
