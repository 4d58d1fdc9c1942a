/// How a blob becomes blocks: the constants every implementation must share (`docs/blobs.md`).
///
/// A blob of at most `chunkBytes` is one raw block, addressed by the raw CID of its bytes —
/// exactly what IPFS gives a raw leaf. A larger blob is cut into `chunkBytes` chunks (the last
/// one shorter), each a raw block, and addressed by the dag-cbor CID of a `BlobManifest`
/// listing them. So every blob has exactly one address, and a reader can check each chunk
/// against its own hash before trusting it.
public enum BlobLayout {
    /// 1 MiB: the largest raw block IPFS nodes exchange by default, and the unit of verification.
    public static let chunkBytes = 1_048_576

    /// The most chunks one manifest may list: 65 536, so a blob is at most 64 GiB.
    public static let chunkCountMax = 65_536

    /// The largest blob: `chunkCountMax` full chunks (64 GiB).
    public static let blobBytesMax = UInt64(chunkCountMax) * UInt64(chunkBytes)

    /// The number of chunks a blob of `size` bytes is cut into; a blob of 0 bytes is one empty block.
    public static func chunkCount(forSize size: UInt64) -> Int {
        guard size > 0 else { return 1 }
        return Int((size + UInt64(chunkBytes) - 1) / UInt64(chunkBytes))
    }

    /// Whether a blob of `size` bytes is addressed through a manifest rather than as one raw block.
    public static func isChunked(size: UInt64) -> Bool { size > UInt64(chunkBytes) }

    /// The byte range of chunk `index` in a blob of `size` bytes.
    public static func chunkRange(index: Int, size: UInt64) -> Range<UInt64> {
        let start = UInt64(index) * UInt64(chunkBytes)
        precondition(index >= 0 && (start < size || (start == 0 && size == 0)), "chunk \(index) is outside a blob of \(size) bytes")
        return start..<min(start + UInt64(chunkBytes), size)
    }
}
