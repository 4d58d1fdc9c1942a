import Crypto
import DMLCore

/// Computes a blob's address from its bytes fed in pieces of any size, keeping no bytes.
///
/// Only the running SHA-256 of the current chunk and the 32-byte digest of each finished chunk
/// are kept, so memory stays the same whether the blob is 1 KiB or 64 GiB (plus 40 bytes or so
/// per MiB for the chunk list a manifest needs).
public struct BlobHasher: Sendable {
    private var chunkHasher = SHA256()
    private var chunkBytesSeen = 0
    private var finishedChunks: [ContentID] = []
    /// Bytes fed so far.
    public private(set) var size: UInt64 = 0

    public init() {}

    /// Feeds the next bytes of the blob.
    ///
    /// - Throws: `.tooLarge` once the blob would pass `BlobLayout.blobBytesMax`; nothing of `bytes` is then counted.
    public mutating func update(_ bytes: some Collection<UInt8>) throws(BlobError) {
        guard UInt64(bytes.count) <= BlobLayout.blobBytesMax - size else {
            throw .tooLarge(bytesMax: BlobLayout.blobBytesMax)
        }
        let hashedInPlace: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if hashedInPlace == nil { Array(bytes).withUnsafeBytes { update($0) } }
    }

    private mutating func update(_ buffer: UnsafeRawBufferPointer) {
        var rest = buffer[...]
        while !rest.isEmpty {
            // A full chunk is closed only when more bytes arrive: a blob of exactly 1 MiB stays one raw block.
            if chunkBytesSeen == BlobLayout.chunkBytes { closeChunk() }
            let taken = rest.prefix(BlobLayout.chunkBytes - chunkBytesSeen)
            chunkHasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: taken))
            chunkBytesSeen += taken.count
            size += UInt64(taken.count)
            rest = rest.dropFirst(taken.count)
        }
    }

    private mutating func closeChunk() {
        finishedChunks.append(ContentID(codec: .raw, finishing: chunkHasher))
        chunkHasher = SHA256()
        chunkBytesSeen = 0
    }

    /// The address of everything fed, and the manifest when the blob is larger than one chunk.
    public func finalize() -> BlobAddress {
        let lastChunk = ContentID(codec: .raw, finishing: chunkHasher)
        guard !finishedChunks.isEmpty else { return BlobAddress(id: lastChunk, size: size, manifest: nil) }
        // The layout's own arithmetic produced these chunks, so they always form a valid manifest.
        guard let manifest = try? BlobManifest(size: size, chunks: finishedChunks + [lastChunk]) else {
            preconditionFailure("the hasher cut \(size) bytes into \(finishedChunks.count + 1) chunks")
        }
        return BlobAddress(id: manifest.id, size: size, manifest: manifest)
    }
}

/// A blob's address, its size and — when it has more than one chunk — the manifest behind the address.
public struct BlobAddress: Hashable, Sendable {
    /// The raw CID of the bytes (one chunk), or the dag-cbor CID of `manifest`.
    public let id: ContentID
    public let size: UInt64
    /// `nil` for a blob of at most one chunk.
    public let manifest: BlobManifest?

    /// The address of `blob`, all in memory: for small blobs and tests.
    public static func of(_ blob: some Collection<UInt8>) throws(BlobError) -> BlobAddress {
        var hasher = BlobHasher()
        try hasher.update(blob)
        return hasher.finalize()
    }
}
