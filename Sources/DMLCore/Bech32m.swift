/// Bech32m (BIP-350): the checksummed text form of account addresses.
///
/// Chosen because its checksum detects any error in up to 4 characters and is specified
/// precisely enough that any language can implement it (see `docs/protocol.md`).
enum Bech32m {
    static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let checksumConstant: UInt32 = 0x2bc8_30a3
    private static let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]

    static func encode(humanPart: String, data: [UInt8]) -> String {
        let values = convertBits(data, from: 8, to: 5, pad: true)!
        let checksum = makeChecksum(humanPart: humanPart, values: values)
        let characters = (values + checksum).map { charset[Int($0)] }
        return humanPart + "1" + String(decoding: characters, as: UTF8.self)
    }

    enum Failure: Error, Equatable {
        case mixedCase, noSeparator, wrongPrefix(String), invalidCharacter(Character), badChecksum, badPadding
    }

    /// Decodes `text`, checking the human-readable part and the checksum.
    static func decode(_ text: String, humanPart expected: String) throws(Failure) -> [UInt8] {
        guard text == text.lowercased() || text == text.uppercased() else { throw .mixedCase }
        let lower = text.lowercased()
        guard let separator = lower.lastIndex(of: "1") else { throw .noSeparator }
        let humanPart = String(lower[..<separator])
        guard humanPart == expected else { throw .wrongPrefix(humanPart) }
        var values: [UInt8] = []
        for character in lower[lower.index(after: separator)...] {
            guard let ascii = character.asciiValue, let index = charset.firstIndex(of: ascii) else {
                throw .invalidCharacter(character)
            }
            values.append(UInt8(index))
        }
        guard values.count >= 6, polymod(expand(humanPart) + values) == checksumConstant else { throw .badChecksum }
        guard let data = convertBits(Array(values.dropLast(6)), from: 5, to: 8, pad: false) else { throw .badPadding }
        return data
    }

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
            for bit in 0..<5 where (top >> bit) & 1 == 1 { checksum ^= generator[bit] }
        }
        return checksum
    }

    private static func expand(_ humanPart: String) -> [UInt8] {
        let utf8 = Array(humanPart.utf8)
        return utf8.map { $0 >> 5 } + [0] + utf8.map { $0 & 31 }
    }

    private static func makeChecksum(humanPart: String, values: [UInt8]) -> [UInt8] {
        let modulus = polymod(expand(humanPart) + values + [0, 0, 0, 0, 0, 0]) ^ checksumConstant
        return (0..<6).map { UInt8((modulus >> (5 * (5 - $0))) & 31) }
    }

    /// Regroups bits; `nil` when unpadded input leaves non-zero or overlong padding.
    private static func convertBits(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator = 0, bits = 0
        var result: [UInt8] = []
        let maxValue = (1 << to) - 1
        for value in data {
            accumulator = (accumulator << from) | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                result.append(UInt8((accumulator >> bits) & maxValue))
            }
        }
        if pad {
            if bits > 0 { result.append(UInt8((accumulator << (to - bits)) & maxValue)) }
        } else if bits >= from || (accumulator << (to - bits)) & maxValue != 0 {
            return nil
        }
        return result
    }
}
