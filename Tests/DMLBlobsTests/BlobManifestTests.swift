@testable import DMLBlobs
import DMLCore
import Testing

@Suite struct BlobManifestTests {
    static let mebibyte = UInt64(BlobLayout.chunkBytes)
    static func chunk(_ seed: Int) -> ContentID { ContentID.of(Array("chunk \(seed)".utf8), codec: .raw) }

    /// A manifest's bytes written field by field, so a test can change any one of them.
    static func manifestBytes(
        entries: UInt64 = 2, firstKey: String = "size", size: UInt64, secondKey: String = "chunks",
        links: [[UInt8]], count: UInt64? = nil
    ) -> [UInt8] {
        var bytes: [UInt8] = []
        CBOR.writeHead(.map, entries, to: &bytes)
        CBOR.writeText(firstKey, to: &bytes)
        CBOR.writeHead(.unsignedInteger, size, to: &bytes)
        CBOR.writeText(secondKey, to: &bytes)
        CBOR.writeHead(.array, count ?? UInt64(links.count), to: &bytes)
        for link in links { bytes += link }
        return bytes
    }

    static func link(_ id: ContentID) -> [UInt8] { [0xd8, 0x2a, 0x58, 0x25, 0x00] + id.bytes }

    static let twoChunkLinks = [link(chunk(0)), link(chunk(1))]

    @Test func theEncodingIsTheDocumentedDAGCBOR() throws {
        let manifest = try BlobManifest(size: Self.mebibyte + 1, chunks: [Self.chunk(0), Self.chunk(1)])
        let header: [UInt8] = [0xa2, 0x64] + Array("size".utf8) + [0x1a, 0x00, 0x10, 0x00, 0x01, 0x66] + Array("chunks".utf8) + [0x82]
        #expect(manifest.encoded == header + Self.twoChunkLinks.joined())
        #expect(manifest.encoded == Self.manifestBytes(size: Self.mebibyte + 1, links: Self.twoChunkLinks))
        #expect(manifest.id == ContentID.of(manifest.encoded, codec: .dagCBOR))
        #expect(try BlobManifest(encoded: manifest.encoded) == manifest)
    }

    @Test func theLargestManifestRoundTripsAndFitsTheLimit() throws {
        let chunks = Array(repeating: Self.chunk(0), count: BlobLayout.chunkCountMax)
        let manifest = try BlobManifest(size: BlobLayout.blobBytesMax, chunks: chunks)
        let encoded = manifest.encoded
        #expect(encoded.count == BlobManifest.encodedBytesMax)
        #expect(encoded[6] == 0x1b)  // 64 GiB needs the 8-byte integer form
        #expect(try BlobManifest(encoded: encoded) == manifest)
    }

    static let justOver = mebibyte + 1
    static let valid = manifestBytes(size: justOver, links: twoChunkLinks)
    static func links(first: [UInt8]) -> [[UInt8]] { [first, link(chunk(1))] }

    @Test(arguments: [
        ("three entries", "exactly 2 entries", manifestBytes(entries: 3, size: justOver, links: twoChunkLinks)),
        ("keys in the wrong order", "expected the key \"size\"",
         manifestBytes(firstKey: "chunks", size: justOver, secondKey: "size", links: twoChunkLinks)),
        ("another key", "expected the key \"size\"", manifestBytes(firstKey: "sise", size: justOver, links: twoChunkLinks)),
        // Bytes 6–10 are the size, `1a 00100001`; 18 is the array head.
        ("a size in a longer form than needed", "not in its shortest form",
         Array(valid.prefix(6)) + [0x1b, 0, 0, 0, 0, 0, 0x10, 0, 1] + valid.dropFirst(11)),
        ("a negative size", "major type 0, found 1", Array(valid.prefix(6)) + [0x3a, 0, 0x10, 0, 1] + valid.dropFirst(11)),
        ("an indefinite-length array", "indefinite length", Array(valid.prefix(18)) + [0x9f] + valid.dropFirst(19) + [0xff]),
        ("one chunk's worth of bytes", "is one raw block", manifestBytes(size: mebibyte, links: [link(chunk(0))])),
        ("too few chunks for the size", "has 3 chunks, the manifest lists 2", manifestBytes(size: 3 * mebibyte, links: twoChunkLinks)),
        ("too many chunks for the size", "has 2 chunks, the manifest lists 3",
         manifestBytes(size: justOver, links: twoChunkLinks + [link(chunk(2))])),
        ("more than 64 GiB", "more than the largest blob", manifestBytes(size: BlobLayout.blobBytesMax + 1, links: twoChunkLinks)),
        ("more links than a manifest may hold", "more than the maximum 65536",
         manifestBytes(size: justOver, links: [], count: UInt64(BlobLayout.chunkCountMax) + 1)),
        ("a link with tag 43", "tag 42", manifestBytes(size: justOver, links: links(first: [0xd8, 0x2b] + link(chunk(0)).dropFirst(2)))),
        ("a link without the 0x00 prefix", "found 36",
         manifestBytes(size: justOver, links: links(first: [0xd8, 0x2a, 0x58, 0x24] + chunk(0).bytes))),
        ("a link with prefix 0x01", "identity multibase 0x00",
         manifestBytes(size: justOver, links: links(first: [0xd8, 0x2a, 0x58, 0x25, 0x01] + chunk(0).bytes))),
        ("a link to a dag-cbor block", "this link is dag-cbor",
         manifestBytes(size: justOver, links: links(first: link(ContentID(codec: .dagCBOR, digest: chunk(0).digest))))),
        ("a link as a text string", "major type 2, found 3",
         manifestBytes(size: justOver, links: links(first: [0xd8, 0x2a, 0x78, 0x25, 0x00] + chunk(0).bytes))),
        ("a trailing byte", "trailing bytes", valid + [0]),
        ("a missing last byte", "needs 37 bytes, only 36 left", Array(valid.dropLast())),
        ("nothing", "truncated input", []),
        ("a reserved additional-information value", "additional information 28", [0xbc]),
    ] as [(String, String, [UInt8])])
    func aMalformedManifestIsRejectedWithItsReason(_ what: String, _ reason: String, _ bytes: [UInt8]) {
        do {
            _ = try BlobManifest(encoded: bytes)
            Issue.record("\(what) was accepted")
        } catch {
            #expect(error.description.contains(reason), "\(what): \(error)")
        }
    }

    @Test func anOversizedBlockIsRejectedBeforeItIsParsed() {
        let bytes = [UInt8](repeating: 0, count: BlobManifest.encodedBytesMax + 1)
        #expect(throws: DecodingError.tooLong(field: "manifest", offset: 0, length: bytes.count, max: BlobManifest.encodedBytesMax)) {
            try BlobManifest(encoded: bytes)
        }
    }

    @Test func theInitializerRefusesChunkListsTheLayoutWouldNotMake() {
        #expect(throws: DecodingError.self) { try BlobManifest(size: Self.mebibyte, chunks: [Self.chunk(0)]) }
        #expect(throws: DecodingError.self) { try BlobManifest(size: Self.mebibyte + 1, chunks: [Self.chunk(0)]) }
        #expect(throws: DecodingError.self) {
            try BlobManifest(size: Self.mebibyte + 1, chunks: [Self.chunk(0), ContentID(codec: .dagCBOR, digest: Self.chunk(1).digest)])
        }
    }
}

/// The worked example of `docs/blobs.md`, checked byte for byte (and reproduced independently
/// with Python's `dag-cbor` and `multiformats` packages when it was written).
@Suite struct DocumentedVectorTests {
    static let blob = TestBlobs.pattern(2_621_440)  // 2.5 MiB of i mod 251

    @Test func theWorkedExampleMatchesTheDocument() throws {
        let address = try BlobAddress.of(Self.blob)
        let manifest = try #require(address.manifest)
        #expect(manifest.size == 2_621_440)
        #expect(manifest.chunks.map(\.description) == [
            "bafkreidddocae7lltzjlkooe5a3tmiwsgazn7logjvqk7bzttsidpzhxne",
            "bafkreidstoivl4acmgticaamzuh7edtvb3j5kjnvwhtpzfqyg6r3wztp2y",
            "bafkreiejyirprzbw2xfpypum6bzbp33eqjiuojaspdvupdis4g6idulbny",
        ])
        #expect(Hex.encode(manifest.encoded) == """
            a26473697a651a00280000666368756e6b7383\
            d82a58250001551220631b84027d6b9e52b539c4e8373622d23032dfadc64d60af87339c9037e4f769\
            d82a58250001551220729b9155f00261a681000ccd0ff20e750ed3d525b5b1e6fc961837a3bb666fd6\
            d82a5825000155122089c222f8e436d5cafc3e8cf07217ef64825147241278eb478d12e1bc81d1616e
            """)
        #expect(address.id.description == "bafyreibzd64xbbttugzkhmrgjbwcwbvioih6d6hrvk7arupfjwmohrfnxq")
    }
}
