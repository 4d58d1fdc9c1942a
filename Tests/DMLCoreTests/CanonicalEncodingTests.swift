import DMLCore
import Testing

@Suite struct CanonicalEncodingTests {
    @Test func integersAreLittleEndianFixedWidth() {
        var writer = ByteWriter()
        writer.write(UInt16(0x0102))
        writer.write(UInt32(0x0304_0506))
        writer.write(UInt64(0x0708_090a_0b0c_0d0e))
        #expect(writer.bytes == [0x02, 0x01, 0x06, 0x05, 0x04, 0x03, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, 0x07])
    }

    @Test func valuesRoundTrip() throws {
        var random = TestGenerator()
        for _ in 0..<1_000 {
            let value = UInt64.random(in: 0...UInt64.max, using: &random)
            #expect(try UInt64(canonicalBytes: value.canonicalBytes) == value, "\(random.reproduction)")
            let list = (0..<Int.random(in: 0...5, using: &random)).map { _ in UInt32.random(in: 0...UInt32.max, using: &random) }
            #expect(try [UInt32](canonicalBytes: list.canonicalBytes) == list, "\(random.reproduction)")
        }
        var writer = ByteWriter()
        writer.write("héllo")
        var reader = ByteReader(writer.bytes)
        #expect(try reader.readString(maxBytes: 10, "text") == "héllo")
    }

    @Test func truncatedInputIsAnErrorThatSaysWhere() {
        #expect(throws: DecodingError.truncated(field: "u64", offset: 0, needed: 8, available: 3)) {
            try UInt64(canonicalBytes: [1, 2, 3])
        }
    }

    @Test func trailingBytesAreRejected() {
        #expect(throws: DecodingError.trailingBytes(what: "value", offset: 4, count: 1)) {
            try UInt32(canonicalBytes: [1, 2, 3, 4, 5])
        }
    }

    @Test func aBoolOtherThanZeroOrOneIsRejected() {
        #expect(throws: DecodingError.self) { try Bool(canonicalBytes: [2]) }
    }

    @Test func aDeclaredLengthAboveTheMaximumIsRejectedBeforeAllocating() {
        var reader = ByteReader([0xff, 0xff, 0xff, 0xff])
        #expect(throws: DecodingError.tooLong(field: "blob", offset: 0, length: 0xffff_ffff, max: 16)) {
            try reader.readVariable(maxBytes: 16, "blob")
        }
    }

    @Test func invalidUTF8IsRejected() {
        var reader = ByteReader([2, 0, 0, 0, 0xc3, 0x28])
        #expect(throws: DecodingError.self) { try reader.readString(maxBytes: 10, "name") }
    }

    @Test func sha256MatchesTheKnownDigestOfABC() {
        #expect(Hash256.of(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func hexRoundTripsAndRejectsGarbage() {
        #expect(Hex.decode("00ffA0") == [0, 255, 160])
        #expect(Hex.decode("0") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.encode([0, 255, 160]) == "00ffa0")
    }
}
