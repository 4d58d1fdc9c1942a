import DMLCore

extension FileBlobStore {
    /// The blob's bytes, or those in `range`, each chunk hashed and compared to its address before it is yielded.
    ///
    /// A blob of one chunk is read whole and checked before its first byte is yielded. A chunked
    /// blob's manifest is checked against the address first, then each 1 MiB chunk against the
    /// manifest. A range read checks the chunks that cover it. At most one chunk is in memory.
    ///
    /// - Throws: `.notFound`, `.rangeOutOfBounds`, `.corrupt` (manifest or length); the stream
    ///   throws `.corrupt(id, .chunk(index:))` at the first damaged chunk, and `.io`.
    public func read(_ id: ContentID, range: Range<UInt64>? = nil) throws(BlobError) -> VerifiedBlobStream {
        let plan = try readPlan(id)
        if let range, range.upperBound > plan.size { throw .rangeOutOfBounds(range, size: plan.size) }
        return VerifiedBlobStream(plan: plan, range: range)
    }

    /// Where the blob's bytes are and what each chunk must hash to.
    func readPlan(_ id: ContentID) throws(BlobError) -> ReadPlan {
        guard let data = try OpenFile.openForReading(dataPath(id)) else { throw .notFound(id) }
        let fileSize = try data.length()
        switch id.codec {
        case .raw:
            // A raw blob is one chunk; a longer file cannot hash to its address, and must not fill memory.
            guard fileSize <= UInt64(BlobLayout.chunkBytes) else { throw .corrupt(id, .chunk(index: 0)) }
            return ReadPlan(id: id, dataPath: dataPath(id), size: fileSize, chunkDigests: [id.digest])
        case .dagCBOR:
            let manifest = try loadManifest(id)
            guard fileSize == manifest.size else { throw .corrupt(id, .length(expected: manifest.size, actual: fileSize)) }
            return ReadPlan(id: id, dataPath: dataPath(id), size: manifest.size, chunkDigests: manifest.chunks.map(\.digest))
        }
    }

    /// The manifest of `id`, checked to hash to `id` and to decode.
    private func loadManifest(_ id: ContentID) throws(BlobError) -> BlobManifest {
        guard let file = try OpenFile.openForReading(manifestPath(id)) else {
            throw .corrupt(id, .manifest(reason: "the manifest file is missing"))
        }
        let length = try file.length()
        guard length <= UInt64(BlobManifest.encodedBytesMax) else {
            throw .corrupt(id, .manifest(reason: "\(length) bytes is longer than any manifest"))
        }
        let bytes = try file.read(count: Int(length), at: 0)
        guard ContentID.of(bytes, codec: .dagCBOR) == id else {
            throw .corrupt(id, .manifest(reason: "the manifest does not hash to the blob's address"))
        }
        do {
            return try BlobManifest(encoded: bytes)
        } catch {
            // Only reachable if someone stored a block that hashes right but is not a manifest.
            throw .corrupt(id, .manifest(reason: error.description))
        }
    }
}

/// What a read needs to find and check a blob's chunks.
struct ReadPlan: Sendable {
    let id: ContentID
    let dataPath: String
    let size: UInt64
    /// The SHA-256 each chunk must have, in order.
    let chunkDigests: [Hash256]

    /// Reads chunk `index` and checks its hash; throws `.corrupt` rather than return a wrong byte.
    func verifiedChunk(_ index: Int) throws(BlobError) -> [UInt8] {
        let range = BlobLayout.chunkRange(index: index, size: size)
        // Opened per chunk: no descriptor outlives a `next()`, and a blob's file never changes content.
        guard let file = try OpenFile.openForReading(dataPath) else { throw .notFound(id) }
        let bytes = try file.read(count: range.count, at: range.lowerBound)
        guard bytes.count == range.count, ContentID.of(bytes, codec: .raw).digest == chunkDigests[index] else {
            throw .corrupt(id, .chunk(index: index))
        }
        return bytes
    }
}

/// The verified bytes of one blob in a `FileBlobStore`, one chunk (at most 1 MiB) per element.
public struct VerifiedBlobStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    public typealias Failure = BlobError

    let plan: ReadPlan
    /// The bytes wanted; the whole blob when `nil`.
    let range: Range<UInt64>?

    public func makeAsyncIterator() -> Iterator {
        Iterator(plan: plan, wanted: range ?? 0..<plan.size, chunks: chunkIndices)
    }

    /// The chunks covering the wanted bytes. A whole read of an empty blob still checks its one (empty) chunk.
    private var chunkIndices: Range<Int> {
        guard let range else { return 0..<BlobLayout.chunkCount(forSize: plan.size) }
        guard !range.isEmpty else { return 0..<0 }
        let chunkBytes = UInt64(BlobLayout.chunkBytes)
        return Int(range.lowerBound / chunkBytes)..<Int((range.upperBound - 1) / chunkBytes) + 1
    }

    public struct Iterator: AsyncIteratorProtocol {
        public typealias Element = [UInt8]
        public typealias Failure = BlobError

        let plan: ReadPlan
        let wanted: Range<UInt64>
        var chunks: Range<Int>

        public mutating func next() async throws(BlobError) -> [UInt8]? { try nextVerifiedPiece() }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(BlobError) -> [UInt8]? {
            try nextVerifiedPiece()
        }

        /// Synchronous underneath: file reads block for one chunk at most, and no isolation is crossed.
        private mutating func nextVerifiedPiece() throws(BlobError) -> [UInt8]? {
            while let index = chunks.popFirst() {
                let bytes: [UInt8]
                do throws(BlobError) {
                    bytes = try plan.verifiedChunk(index)
                } catch {
                    chunks = chunks.endIndex..<chunks.endIndex  // A failed stream stays failed: no later chunk is read.
                    throw error
                }
                let chunkRange = BlobLayout.chunkRange(index: index, size: plan.size)
                let keep = chunkRange.clamped(to: wanted)
                // Only an empty blob's one chunk is empty: it is checked, but yields nothing.
                guard !keep.isEmpty else { continue }
                guard keep != chunkRange else { return bytes }
                let start = Int(keep.lowerBound - chunkRange.lowerBound)
                return Array(bytes[start..<start + keep.count])
            }
            return nil
        }
    }
}
