@testable import DMLBlobs
import DMLCore
import Foundation
import Testing

@Suite struct ContentIDTests {
    static let emptyRaw = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    static let digest = Hash256.of(Array("hello world".utf8))

    @Test func theRawCIDOfNoBytesIsIPFSs() {
        #expect(ContentID.of([], codec: .raw).description == Self.emptyRaw)
    }

    @Test func theRawCIDOfHelloWorldIsWhatIpfsAddRawLeavesGives() {
        // `echo -n "hello world" | ipfs add --raw-leaves --cid-version 1`
        #expect(ContentID.of(Array("hello world".utf8), codec: .raw).description
            == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e")
        // With the newline `echo` adds (computed from the spec, and by Python's base64 and hashlib).
        #expect(ContentID.of(Array("hello world\n".utf8), codec: .raw).description
            == "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4")
    }

    @Test func theDagCBORCIDOfTheEmptyMapIsIPLDs() {
        #expect(ContentID.of([0xa0], codec: .dagCBOR).description == "bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua")
    }

    @Test func theBinaryFormIsVersionCodecHashLengthDigest() {
        let raw = ContentID(codec: .raw, digest: Self.digest)
        #expect(raw.bytes == [0x01, 0x55, 0x12, 0x20] + Self.digest.bytes)
        #expect(ContentID(codec: .dagCBOR, digest: Self.digest).bytes.prefix(4) == [0x01, 0x71, 0x12, 0x20])
        #expect(raw.description.count == ContentID.textCharactersMax)
        #expect(raw.description.hasPrefix("bafkrei"))
        #expect(ContentID(codec: .dagCBOR, digest: Self.digest).description.hasPrefix("bafyrei"))
    }

    @Test(arguments: ContentID.Codec.allCases)
    func textAndBinaryFormsRoundTrip(_ codec: ContentID.Codec) throws {
        for seed in 0..<50 {
            let id = ContentID(codec: codec, digest: Hash256.of(Array("seed \(seed)".utf8)))
            #expect(try ContentID(parsing: id.description) == id)
            #expect(ContentID(id.description) == id)
            #expect(try ContentID(bytes: id.bytes) == id)
        }
    }

    @Test func codableUsesTheTextForm() throws {
        let id = ContentID.of(Array("hello world".utf8), codec: .raw)
        let json = try JSONEncoder().encode([id])
        #expect(String(decoding: json, as: UTF8.self) == "[\"\(id)\"]")
        #expect(try JSONDecoder().decode([ContentID].self, from: json) == [id])
        #expect(throws: Swift.DecodingError.self) { try JSONDecoder().decode([ContentID].self, from: Data("[\"Qm\"]".utf8)) }
    }

    @Test func orderIsByBinaryForm() {
        let ids = (0..<20).map { ContentID.of([UInt8($0)], codec: $0.isMultiple(of: 2) ? .raw : .dagCBOR) }
        #expect(ids.sorted().map(\.bytes) == ids.map(\.bytes).sorted { $0.lexicographicallyPrecedes($1) })
    }

    static func text(_ binary: [UInt8]) -> String { "b" + Base32.encode(binary) }
    static let body = Array(repeating: UInt8(7), count: 32)

    @Test(arguments: [
        ("", ContentIDError.empty),
        ("B" + emptyRaw.dropFirst().uppercased(), .unsupportedMultibase("B")),
        ("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", .unsupportedMultibase("Q")),
        ("z" + emptyRaw.dropFirst(), .unsupportedMultibase("z")),
        (emptyRaw + "a", .tooLong(characters: 60)),
        (String(emptyRaw.prefix(10)) + "A" + emptyRaw.dropFirst(11), .invalidBase32Character(offset: 9)),
        (String(emptyRaw.prefix(10)) + "1" + emptyRaw.dropFirst(11), .invalidBase32Character(offset: 9)),
        (String(emptyRaw.dropLast(8)) + "========", .invalidBase32Character(offset: 50)),
        (String(emptyRaw.dropLast()), .impossibleBase32Length(count: 57)),
        // The last character carries 3 bits of digest and 2 padding bits: 'v' sets a padding bit.
        (String(emptyRaw.dropLast()) + "v", .nonZeroBase32Padding),
        (text([0x02, 0x55, 0x12, 0x20] + body), .unsupportedVersion(2)),
        (text([0x12, 0x20] + body), .unsupportedVersion(0x12)),
        (text([0x01, 0x70, 0x12, 0x20] + body), .unsupportedCodec(0x70)),
        (text([0x01, 0x55, 0x13, 0x20] + body), .unsupportedHash(0x13)),
        (text([0x01, 0x55, 0x12, 0x1f] + body.dropLast()), .wrongDigestLength(declared: 31)),
        (text([0x01, 0x55, 0x12, 0x20] + body.dropLast()), .truncated(field: "digest", needed: 32, available: 31)),
        (text([0x01, 0x55, 0x12]), .truncated(field: "digest length", needed: 1, available: 0)),
        ("b", .truncated(field: "version", needed: 1, available: 0)),
    ] as [(String, ContentIDError)])
    func malformedTextIsRejectedWithItsReason(_ text: String, _ expected: ContentIDError) {
        #expect(throws: expected) { try ContentID(parsing: text) }
        #expect(ContentID(text) == nil)
        #expect(!expected.description.isEmpty)
    }

    @Test func malformedBinaryIsRejectedWithItsReason() {
        #expect(throws: ContentIDError.truncated(field: "version", needed: 1, available: 0)) { try ContentID(bytes: []) }
        #expect(throws: ContentIDError.unsupportedVersion(0x12)) { try ContentID(bytes: [0x12, 0x20] + Self.body) }
        #expect(throws: ContentIDError.invalidVarint(field: "codec")) {
            try ContentID(bytes: [0x01] + Array(repeating: 0xff, count: 9) + [0x01])
        }
        #expect(throws: ContentIDError.unsupportedHash(0xb220)) { try ContentID(bytes: [0x01, 0x55, 0xa0, 0xe4, 0x02, 0x20] + Self.body) }
        #expect(throws: ContentIDError.invalidVarint(field: "version")) { try ContentID(bytes: [0x81, 0x00, 0x55, 0x12, 0x20] + Self.body) }
        #expect(throws: ContentIDError.trailingBytes(count: 2)) { try ContentID(bytes: [0x01, 0x71, 0x12, 0x20] + Self.body + [1, 2]) }
    }

    @Test func aCIDCanBeReadFromTheMiddleOfABuffer() throws {
        let id = ContentID.of([1, 2, 3], codec: .raw)
        var offset = 3
        #expect(try ContentID(bytes: [9, 9, 9] + id.bytes + [9], at: &offset) == id)
        #expect(offset == 3 + 36)
    }

    @Test func everyErrorMessageSaysWhatIsWrong() {
        #expect(ContentIDError.unsupportedMultibase("Q").description.contains("CIDv0"))
        #expect(ContentIDError.unsupportedCodec(0x70).description.contains("0x70"))
        #expect(ContentIDError.wrongDigestLength(declared: 31).description.contains("31"))
    }
}

@Suite struct EncodingPrimitiveTests {
    @Test(arguments: [
        (UInt64(1), [0x01]), (127, [0x7f]), (128, [0x80, 0x01]), (255, [0xff, 0x01]),
        (300, [0xac, 0x02]), (16_384, [0x80, 0x80, 0x01]), (UInt64(Int64.max), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
    ] as [(UInt64, [UInt8])])
    func varintsMatchTheMultiformatsSpec(_ value: UInt64, _ bytes: [UInt8]) throws {
        #expect(Varint.encode(value) == bytes)
        var offset = 0
        #expect(try Varint.decode(bytes, at: &offset) == value)
        #expect(offset == bytes.count)
    }

    @Test func overlongAndTruncatedVarintsAreRejected() {
        var offset = 0
        #expect(throws: Varint.Failure.notMinimal) { try Varint.decode([0x81, 0x00], at: &offset) }
        #expect(throws: Varint.Failure.tooLong) { try Varint.decode(Array(repeating: 0x80, count: 9) + [0x01], at: &offset) }
        #expect(throws: Varint.Failure.truncated) { try Varint.decode([0x80], at: &offset) }
    }

    @Test(arguments: [
        ("", ""), ("f", "my"), ("fo", "mzxq"), ("foo", "mzxw6"), ("foob", "mzxw6yq"), ("fooba", "mzxw6ytb"), ("foobar", "mzxw6ytboi"),
    ])
    func base32MatchesRFC4648WithoutPadding(_ plain: String, _ encoded: String) throws {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
        #expect(try Base32.decode(encoded.utf8[...]) == Array(plain.utf8))
    }
}
