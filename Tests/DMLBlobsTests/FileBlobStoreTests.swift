@testable import DMLBlobs
import Foundation
import Testing

@Suite struct FileBlobStoreTests {
    @Test(arguments: [0, 1, mebibyte, mebibyte + 1, 3 * mebibyte + mebibyte / 2])
    func aBlobReadsBackAsItWasStored(_ size: Int) async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let blob = TestBlobs.pattern(size)
        let stored = try await scratch.store.put(TestBlobs.source(blob))
        #expect(stored.id == (try BlobAddress.of(blob)).id)
        #expect(stored.size == UInt64(size))
        #expect((stored.manifest != nil) == (size > mebibyte))
        #expect(try await TestBlobs.collect(scratch.store.read(stored.id)) == blob)
        #expect(try scratch.store.size(of: stored.id) == UInt64(size))
        #expect(scratch.store.contains(stored.id))
        #expect(try scratch.store.list() == [stored.id])
        #expect(await scratch.store.verify(stored.id) == .ok)
    }

    @Test func theFilesLandWhereTheDocumentSays() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let small = try await scratch.store.put(TestBlobs.source([1, 2, 3]))
        let large = try await scratch.store.put(TestBlobs.source(TestBlobs.pattern(mebibyte + 1)))
        let files = try scratch.files()
        let shard = { (id: ContentID) in String(id.description.dropLast().suffix(2)) }
        #expect(Set(files.blobs) == [
            "\(shard(small.id))/\(small.id)", "\(shard(large.id))/\(large.id)", "\(shard(large.id))/\(large.id).manifest",
        ])
        #expect(files.temp.isEmpty)
        let manifest = try Data(contentsOf: URL(fileURLWithPath: scratch.store.manifestPath(large.id)))
        #expect(Array(manifest) == large.manifest?.encoded)
    }

    @Test func readingPiecesOfTheBlobReturnsExactlyThoseBytes() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let blob = TestBlobs.pattern(3 * mebibyte + mebibyte / 2)
        let id = try await scratch.store.put(TestBlobs.source(blob)).id
        let m = UInt64(mebibyte)
        for range in [0..<1, m - 10..<m + 10, m..<2 * m, 5..<3 * m + 7, UInt64(blob.count) - 1..<UInt64(blob.count), 7..<7, 0..<UInt64(blob.count)] {
            let bytes = try await TestBlobs.collect(scratch.store.read(id, range: range))
            #expect(bytes == Array(blob[Int(range.lowerBound)..<Int(range.upperBound)]), "\(range)")
        }
        let beyond = 0..<UInt64(blob.count) + 1
        #expect(throws: BlobError.rangeOutOfBounds(beyond, size: UInt64(blob.count))) { try scratch.store.read(id, range: beyond) }
    }

    @Test func storingTheSameBlobTwiceIsHarmless() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let blob = TestBlobs.pattern(mebibyte + 5)
        let first = try await scratch.store.put(TestBlobs.source(blob))
        let second = try await scratch.store.put(expected: first.id, from: TestBlobs.source(blob, pieceBytes: 999))
        #expect(first == second)
        #expect(try scratch.store.list() == [first.id])
        #expect(try scratch.files().temp.isEmpty)
    }

    @Test func aBlobOverTheLimitIsRefusedAtTheFirstPieceTooManyAndLeavesNothing() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        // A third piece would end the source with an error instead: `.tooLarge` proves the store stopped pulling.
        let source = TestBlobs.source(TestBlobs.pattern(1_200), pieceBytes: 600, thenThrowing: TestBlobs.SourceFailure())
        await #expect(throws: BlobError.tooLarge(bytesMax: 1_000)) {
            try await scratch.store.put(expected: nil, bytesMax: 1_000, from: source)
        }
        #expect(try scratch.files().temp.isEmpty)
        #expect(try scratch.files().blobs.isEmpty)
    }

    @Test func aBlobExactlyAtTheLimitIsAccepted() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let stored = try await scratch.store.put(expected: nil, bytesMax: 1_000, from: TestBlobs.source(TestBlobs.pattern(1_000)))
        #expect(stored.size == 1_000)
    }

    @Test(arguments: [10, mebibyte + 10])
    func bytesWithAnotherAddressThanExpectedAreRefusedAndLeaveNothing(_ size: Int) async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let blob = TestBlobs.pattern(size)
        let promised = ContentID.of([42], codec: .raw)
        let actual = try BlobAddress.of(blob).id
        await #expect(throws: BlobError.addressMismatch(expected: promised, actual: actual)) {
            try await scratch.store.put(expected: promised, from: TestBlobs.source(blob))
        }
        #expect(try scratch.files().temp.isEmpty)
        #expect(try scratch.files().blobs.isEmpty)
        #expect(!scratch.store.contains(actual))
    }

    @Test func aSourceThatFailsMidwayLeavesNothing() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let source = TestBlobs.source(TestBlobs.pattern(mebibyte + 10), pieceBytes: 65_536, thenThrowing: TestBlobs.SourceFailure())
        await #expect(throws: BlobError.truncated(bytesReceived: UInt64(mebibyte + 10), cause: "the connection was reset")) {
            try await scratch.store.put(source)
        }
        #expect(try scratch.files().temp.isEmpty)
        #expect(try scratch.files().blobs.isEmpty)
    }

    @Test func aCancelledUploadLeavesNothingEvenWhenTheSourceEndsQuietly() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let store = scratch.store
        let upload = Task { try await store.put(TestBlobs.SelfCancellingSource(pieces: 3)) }
        await #expect(throws: BlobError.truncated(bytesReceived: 300, cause: "the task was cancelled")) { try await upload.value }
        #expect(try scratch.files().temp.isEmpty)
        #expect(try scratch.files().blobs.isEmpty)
    }

    @Test func leftoversOfACrashedUploadAreRemovedWhenTheStoreIsOpened() throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        // What a crash between creating the temp file and the rename leaves behind.
        let leftover = scratch.store.temporaryPath()
        #expect(FileManager.default.createFile(atPath: leftover, contents: Data(TestBlobs.pattern(5_000))))
        #expect(try scratch.files().temp.count == 1)
        _ = try scratch.reopen()
        #expect(try scratch.files().temp.isEmpty)
    }

    @Test func oneFlippedByteInASmallBlobIsFoundBeforeAnyByteIsReturned() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let id = try await scratch.store.put(TestBlobs.source(TestBlobs.pattern(1_000))).id
        try scratch.flipByte(at: 999, of: scratch.store.dataPath(id))
        var received: [[UInt8]] = []
        await #expect(throws: BlobError.corrupt(id, .chunk(index: 0))) {
            for try await piece in try scratch.store.read(id) { received.append(piece) }
        }
        #expect(received.isEmpty)
        #expect(await scratch.store.verify(id) == .corrupt(.chunk(index: 0)))
    }

    @Test func oneFlippedByteInALargeBlobStopsTheReadAtItsChunk() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let blob = TestBlobs.pattern(3 * mebibyte + mebibyte / 2)
        let id = try await scratch.store.put(TestBlobs.source(blob)).id
        try scratch.flipByte(at: 2 * mebibyte + 12_345, of: scratch.store.dataPath(id))
        var received: [UInt8] = []
        await #expect(throws: BlobError.corrupt(id, .chunk(index: 2))) {
            for try await piece in try scratch.store.read(id) { received += piece }
        }
        #expect(received == Array(blob.prefix(2 * mebibyte)))
        #expect(await scratch.store.verify(id) == .corrupt(.chunk(index: 2)))
        // A range that does not touch the damaged chunk reads (and verifies) fine.
        let firstChunk = try await TestBlobs.collect(scratch.store.read(id, range: 0..<UInt64(mebibyte)))
        #expect(firstChunk == Array(blob.prefix(mebibyte)))
    }

    @Test func aDamagedOrMissingManifestOrAShortFileIsCorruption() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let blob = TestBlobs.pattern(mebibyte + 100)
        let id = try await scratch.store.put(TestBlobs.source(blob)).id
        let manifestPath = scratch.store.manifestPath(id)

        try scratch.flipByte(at: 20, of: manifestPath)
        guard case .corrupt(.manifest) = await scratch.store.verify(id) else { Issue.record("flipped manifest not found"); return }
        #expect(throws: BlobError.self) { try scratch.store.size(of: id) }

        try FileManager.default.removeItem(atPath: manifestPath)
        #expect(await scratch.store.verify(id) == .corrupt(.manifest(reason: "the manifest file is missing")))

        _ = try await scratch.store.put(TestBlobs.source(blob))
        try FileHandle(forWritingTo: URL(fileURLWithPath: scratch.store.dataPath(id))).truncate(atOffset: 10)
        #expect(await scratch.store.verify(id) == .corrupt(.length(expected: UInt64(blob.count), actual: 10)))
        #expect(throws: BlobError.corrupt(id, .length(expected: UInt64(blob.count), actual: 10))) { try scratch.store.read(id) }
    }

    @Test func storingACorruptBlobAgainRepairsIt() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let blob = TestBlobs.pattern(mebibyte + 100)
        let id = try await scratch.store.put(TestBlobs.source(blob)).id
        try scratch.flipByte(at: 5, of: scratch.store.dataPath(id))
        #expect(await scratch.store.verify(id) == .corrupt(.chunk(index: 0)))
        _ = try await scratch.store.put(TestBlobs.source(blob))
        #expect(await scratch.store.verify(id) == .ok)
    }

    @Test func aDeletedBlobIsGoneAndDeletingAgainDoesNothing() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let kept = try await scratch.store.put(TestBlobs.source([1])).id
        let id = try await scratch.store.put(TestBlobs.source(TestBlobs.pattern(mebibyte + 1))).id
        try scratch.store.delete(id)
        #expect(!scratch.store.contains(id))
        #expect(throws: BlobError.notFound(id)) { try scratch.store.read(id) }
        #expect(throws: BlobError.notFound(id)) { try scratch.store.size(of: id) }
        #expect(await scratch.store.verify(id) == .missing)
        #expect(try scratch.files().blobs == ["\(kept.description.dropLast().suffix(2))/\(kept)"])
        try scratch.store.delete(id)
        try scratch.store.delete(ContentID.of([9, 9], codec: .raw))
        #expect(try scratch.store.list() == [kept])
    }

    @Test func listingGivesEveryBlobInOrderAndIgnoresStrayFiles() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        var ids: [ContentID] = []
        for size in [0, 1, 2, 3, mebibyte + 1] {
            ids.append(try await scratch.store.put(TestBlobs.source(TestBlobs.pattern(size))).id)
        }
        let shard = scratch.store.shardDirectory(ids[0])
        #expect(FileManager.default.createFile(atPath: shard + "/notes.txt", contents: Data()))
        // A valid CID in the wrong shard is not where the store would look for it, so it is not listed.
        let misplaced = ContentID.of([7, 7, 7], codec: .raw)
        try FileManager.default.createDirectory(atPath: scratch.store.blobsDirectory + "/zz", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: scratch.store.blobsDirectory + "/zz/\(misplaced)", contents: Data()))
        #expect(try scratch.store.list() == ids.sorted())
        #expect(try scratch.reopen().list() == ids.sorted())
    }

    @Test func theStoreWorksThroughTheProtocol() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let store: any BlobStore = scratch.store
        let blob = TestBlobs.pattern(mebibyte + 1)
        let id = try await store.put(TestBlobs.source(blob)).id
        var bytes: [UInt8] = []
        for try await piece in try store.read(id) { bytes += piece }
        #expect(bytes == blob)
    }

    @Test func errorsHaveStableCodesAndSayWhatToDo() {
        let id = ContentID.of([], codec: .raw)
        #expect(BlobError.corrupt(id, .chunk(index: 3)).description == "[blob.corrupt] the stored copy of \(id) is corrupt (chunk 3 does not match its hash); delete it and fetch it again from a peer")
        #expect(BlobError.io(operation: "fsync", path: "/x", errno: 5).description.contains("Input/output error"))
        #expect(BlobError.tooLarge(bytesMax: 10).code == "blob.too_large")
    }
}
