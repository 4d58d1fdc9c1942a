/// RFC 4648 base32, lower case, without padding: the multibase `b` text form of CIDs.
///
/// Decoding is strict so that one CID has one text form: upper case, `=` padding, a length no
/// encoder produces and non-zero leftover bits are all rejected.
enum Base32 {
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    private static let values: [UInt8?] = {
        var table = [UInt8?](repeating: nil, count: 256)
        for (value, character) in alphabet.enumerated() { table[Int(character)] = UInt8(value) }
        return table
    }()

    static func encode(_ bytes: [UInt8]) -> String {
        var characters: [UInt8] = []
        characters.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bitCount = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bitCount += 8
            while bitCount >= 5 {
                bitCount -= 5
                characters.append(alphabet[Int((buffer >> UInt32(bitCount)) & 31)])
            }
        }
        if bitCount > 0 { characters.append(alphabet[Int((buffer << UInt32(5 - bitCount)) & 31)]) }
        return String(decoding: characters, as: UTF8.self)
    }

    enum Failure: Error, Equatable {
        /// The character at `offset` (counted in UTF-8 bytes) is not in the lower-case alphabet.
        case invalidCharacter(offset: Int)
        /// `count` characters leave 1, 3 or 6 characters over, which no byte string encodes to.
        case impossibleLength(count: Int)
        /// The bits after the last whole byte are not zero.
        case nonZeroPadding
    }

    static func decode(_ text: Substring.UTF8View) throws(Failure) -> [UInt8] {
        guard ![1, 3, 6].contains(text.count % 8) else { throw .impossibleLength(count: text.count) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count * 5 / 8)
        var buffer: UInt32 = 0
        var bitCount = 0
        for (offset, character) in text.enumerated() {
            guard let value = values[Int(character)] else { throw .invalidCharacter(offset: offset) }
            buffer = (buffer << 5 | UInt32(value)) & 0xfff
            bitCount += 5
            if bitCount >= 8 {
                bitCount -= 8
                bytes.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bitCount)))
            }
        }
        guard buffer & ((1 << UInt32(bitCount)) - 1) == 0 else { throw .nonZeroPadding }
        return bytes
    }
}
