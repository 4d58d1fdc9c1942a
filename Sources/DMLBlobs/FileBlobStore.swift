import DMLCore

/// A `BlobStore` in a directory of plain files, crash-safe by temp file, `fsync` and `rename`.
///
/// ```
/// <directory>/
///   tmp/<random>.part               uploads in progress; emptied when the store is opened
///   blobs/<xx>/<cid>                 a blob's bytes (the whole blob, also when chunked)
///   blobs/<xx>/<cid>.manifest        for a chunked blob (a dag-cbor CID), its manifest block
/// ```
/// `<xx>` is the two characters before the last of the CID text (IPFS flatfs's `next-to-last/2`
/// rule): they come from the digest, so the 1 024 shards fill evenly.
///
/// The data file's rename is the commit point: a blob is present exactly when `blobs/<xx>/<cid>`
/// exists. Everything before it is invisible and is cleaned up after a crash.
///
/// One process at a time may open a directory: opening empties `tmp/`, which would break the
/// uploads of another process using the same directory. File I/O blocks the calling thread for
/// at most one chunk (1 MiB) at a time.
public struct FileBlobStore: BlobStore {
    public let directory: String

    /// Opens (creating if needed) the store in `directory`, and deletes unfinished uploads left by a crash.
    public init(directory: String) throws(BlobError) {
        self.directory = directory
        try FileSystem.makeDirectories(directory)
        let createdBlobs = try FileSystem.makeDirectory(blobsDirectory)
        let createdTemp = try FileSystem.makeDirectory(tempDirectory)
        if createdBlobs || createdTemp { try FileSystem.syncDirectory(directory) }
        try removeUnfinishedUploads()
    }

    var blobsDirectory: String { directory + "/blobs" }
    var tempDirectory: String { directory + "/tmp" }

    func shardDirectory(_ id: ContentID) -> String {
        let text = id.description
        return blobsDirectory + "/" + text.dropLast().suffix(2)
    }

    func dataPath(_ id: ContentID) -> String { shardDirectory(id) + "/" + id.description }
    func manifestPath(_ id: ContentID) -> String { dataPath(id) + ".manifest" }

    /// A fresh name in `tmp/`; `O_EXCL` on creation makes a collision an error, never a shared file.
    func temporaryPath() -> String {
        let random = withUnsafeBytes(of: UInt64.random(in: 0...UInt64.max)) { Hex.encode($0) }
        return tempDirectory + "/" + random + ".part"
    }

    private func removeUnfinishedUploads() throws(BlobError) {
        for name in try FileSystem.entries(of: tempDirectory) {
            try FileSystem.remove(tempDirectory + "/" + name)
        }
    }

    public func contains(_ id: ContentID) -> Bool { FileSystem.exists(dataPath(id)) }

    public func size(of id: ContentID) throws(BlobError) -> UInt64 { try readPlan(id).size }

    /// Removes the data file first, so that the blob is gone before its manifest is.
    public func delete(_ id: ContentID) throws(BlobError) {
        let shard = shardDirectory(id)
        guard FileSystem.exists(shard) else { return }
        try FileSystem.remove(dataPath(id))
        if id.codec == .dagCBOR { try FileSystem.remove(manifestPath(id)) }
        try FileSystem.syncDirectory(shard)
    }

    /// Every blob held, in address order; files that are not blobs (manifests, strays) are skipped.
    public func list() throws(BlobError) -> [ContentID] {
        var ids: [ContentID] = []
        for shard in try FileSystem.entries(of: blobsDirectory) {
            for name in try FileSystem.entries(of: blobsDirectory + "/" + shard) {
                guard let id = ContentID(name), dataPath(id) == blobsDirectory + "/" + shard + "/" + name else { continue }
                ids.append(id)
            }
        }
        return ids.sorted()
    }

    public func verify(_ id: ContentID) async -> BlobHealth {
        do throws(BlobError) {
            for try await _ in try read(id) {}
            return .ok
        } catch .notFound {
            return .missing
        } catch .corrupt(_, let corruption) {
            return .corrupt(corruption)
        } catch {
            return .unreadable(error)
        }
    }
}

extension FileSystem {
    /// Creates `path` and any missing parents.
    static func makeDirectories(_ path: String) throws(BlobError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            // Skipping what exists avoids `EACCES` from `mkdir` on parents we may not write to.
            if !exists(prefix) { try makeDirectory(prefix) }
        }
    }
}
