import DMLCore

extension FileBlobStore {
    /// Streams `source` into `tmp/` while hashing it, then commits it under its address.
    ///
    /// Crash safety: the bytes are `fsync`ed in `tmp/` before the `rename` that makes them
    /// visible, and the shard directory is `fsync`ed after it, so after a crash the blob is
    /// either wholly present or absent (with at most a temp file, removed at the next open).
    /// A chunked blob's manifest is committed the same way, before its data file.
    ///
    /// Storing a blob that is already present replaces it with the fresh copy, atomically; so a
    /// `put` also repairs a corrupt copy.
    ///
    /// - Throws: `.tooLarge` as soon as the source passes `bytesMax`; `.truncated` if the source
    ///   throws or the task is cancelled; `.addressMismatch`; `.io`. Nothing is stored then.
    public func put<Source: AsyncSequence>(
        expected: ContentID? = nil, bytesMax: UInt64 = BlobLayout.blobBytesMax, from source: Source
    ) async throws(BlobError) -> StoredBlob where Source.Element == [UInt8] {
        let dataTemp = temporaryPath()
        do throws(BlobError) {
            let address = try await receive(source, into: dataTemp, bytesMax: min(bytesMax, BlobLayout.blobBytesMax))
            if let expected, expected != address.id { throw .addressMismatch(expected: expected, actual: address.id) }
            try commit(dataTemp, as: address)
            return StoredBlob(address)
        } catch {
            try? FileSystem.remove(dataTemp)
            throw error
        }
    }

    /// Writes every piece of `source` to a new file at `path` while hashing it; returns the address.
    private func receive<Source: AsyncSequence>(
        _ source: Source, into path: String, bytesMax: UInt64
    ) async throws(BlobError) -> BlobAddress where Source.Element == [UInt8] {
        let file = try OpenFile.createNew(path)
        var hasher = BlobHasher()
        var pieces = source.makeAsyncIterator()
        while let piece = try await Self.nextPiece(&pieces, received: hasher.size) {
            // Checked before writing, so an oversized upload stops at the piece that crosses the limit.
            guard UInt64(piece.count) <= bytesMax - hasher.size else { throw .tooLarge(bytesMax: bytesMax) }
            try hasher.update(piece)
            try file.writeAll(piece)
        }
        // Some sources (AsyncStream among them) end quietly when the task is cancelled: a short blob, not a whole one.
        guard !Task.isCancelled else { throw .truncated(bytesReceived: hasher.size, cause: "the task was cancelled") }
        try file.sync()
        return hasher.finalize()
    }

    /// The source's next piece; its failure, or cancellation, becomes `.truncated`.
    private static func nextPiece<Pieces: AsyncIteratorProtocol>(
        _ pieces: inout Pieces, received: UInt64
    ) async throws(BlobError) -> [UInt8]? where Pieces.Element == [UInt8] {
        guard !Task.isCancelled else { throw .truncated(bytesReceived: received, cause: "the task was cancelled") }
        do {
            return try await pieces.next()
        } catch {
            throw .truncated(bytesReceived: received, cause: String(describing: error))
        }
    }

    /// Moves the durable temp file into place, after the manifest if there is one.
    private func commit(_ dataTemp: String, as address: BlobAddress) throws(BlobError) {
        let shard = shardDirectory(address.id)
        if try FileSystem.makeDirectory(shard) { try FileSystem.syncDirectory(blobsDirectory) }
        if let manifest = address.manifest {
            try writeDurably(manifest.encoded, to: manifestPath(address.id))
            // The manifest must be on disk before the data file that commits the blob can be.
            try FileSystem.syncDirectory(shard)
        }
        try FileSystem.move(dataTemp, to: dataPath(address.id))
        try FileSystem.syncDirectory(shard)
    }

    /// Writes `bytes` to a temp file, `fsync`s it and renames it to `path`; the caller syncs the directory.
    private func writeDurably(_ bytes: [UInt8], to path: String) throws(BlobError) {
        let temp = temporaryPath()
        do throws(BlobError) {
            let file = try OpenFile.createNew(temp)
            try file.writeAll(bytes)
            try file.sync()
            try FileSystem.move(temp, to: path)
        } catch {
            try? FileSystem.remove(temp)
            throw error
        }
    }
}
