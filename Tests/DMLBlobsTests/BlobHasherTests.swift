@testable import DMLBlobs
import Testing

@Suite struct BlobHasherTests {
    /// The address computed the obvious way, all in memory, straight from the layout's definition.
    static func referenceAddress(_ blob: [UInt8]) throws -> ContentID {
        guard blob.count > mebibyte else { return ContentID.of(blob, codec: .raw) }
        let chunks = stride(from: 0, to: blob.count, by: mebibyte).map {
            ContentID.of(blob[$0..<min($0 + mebibyte, blob.count)], codec: .raw)
        }
        return try BlobManifest(size: UInt64(blob.count), chunks: chunks).id
    }

    static func hashInPieces(_ blob: [UInt8], pieceBytes: [Int]) throws -> BlobAddress {
        var hasher = BlobHasher()
        var offset = 0, turn = 0
        while offset < blob.count {
            let end = min(offset + pieceBytes[turn % pieceBytes.count], blob.count)
            try hasher.update(blob[offset..<end])
            offset = end
            turn += 1
        }
        return hasher.finalize()
    }

    @Test(arguments: [0, 1, 4_095, mebibyte - 1, mebibyte, mebibyte + 1, 2 * mebibyte, 2 * mebibyte + 12_345])
    func hashingInOddPiecesEqualsHashingWhole(_ size: Int) throws {
        let blob = TestBlobs.pattern(size)
        let whole = try BlobAddress.of(blob)
        #expect(whole.id == (try Self.referenceAddress(blob)))
        #expect(whole.size == UInt64(size))
        for pieces in [[7], [1, 4_093, 65_537], [mebibyte + 3], [mebibyte - 1, 2]] {
            #expect(try Self.hashInPieces(blob, pieceBytes: pieces) == whole)
        }
    }

    @Test func singleBytePiecesWork() throws {
        let blob = TestBlobs.pattern(1_000)
        #expect(try Self.hashInPieces(blob, pieceBytes: [1]) == (try BlobAddress.of(blob)))
    }

    @Test func exactlyOneMebibyteIsOneRawBlockAndOneMoreByteMakesAManifest() throws {
        let full = try BlobAddress.of(TestBlobs.pattern(mebibyte))
        #expect(full.id.codec == .raw)
        #expect(full.manifest == nil)

        let blob = TestBlobs.pattern(mebibyte + 1)
        let over = try BlobAddress.of(blob)
        #expect(over.id.codec == .dagCBOR)
        #expect(over.manifest?.chunks == [full.id, ContentID.of([blob[mebibyte]], codec: .raw)])
    }

    @Test func emptyPiecesChangeNothing() throws {
        var hasher = BlobHasher()
        try hasher.update([UInt8]())
        try hasher.update(TestBlobs.pattern(mebibyte))
        try hasher.update([UInt8]())
        #expect(hasher.finalize() == (try BlobAddress.of(TestBlobs.pattern(mebibyte))))
    }

    @Test func nonContiguousCollectionsHashLikeArrays() throws {
        var hasher = BlobHasher()
        try hasher.update((0..<200).lazy.map { UInt8($0) })
        #expect(hasher.finalize() == (try BlobAddress.of((0..<200).map { UInt8($0) })))
    }
}
