import DMLCore

/// The block that addresses a blob larger than one chunk: its size and its chunks' raw CIDs, in order.
///
/// Encoded as DAG-CBOR, so IPFS tools can read and pin it as a DAG:
/// ```
/// a2                          map of 2 entries, keys sorted by length then bytes
///   64 73697a65               "size"
///   1a/1b <big-endian>        the blob's byte count, shortest uint form
///   66 6368756e6b73           "chunks"
///   99/9a <count>             array of the chunk links
///     d8 2a 58 25 00 <cid>    tag 42, byte string of 37: 0x00 then the 36-byte raw CID
/// ```
/// The decoder accepts exactly this shape and nothing else (see `docs/blobs.md`).
public struct BlobManifest: Hashable, Sendable {
    /// The blob's length in bytes; more than one chunk, at most `BlobLayout.blobBytesMax`.
    public let size: UInt64
    /// The raw CID of each 1 MiB chunk, the last one shorter.
    public let chunks: [ContentID]

    /// Checks that `chunks` is what the layout gives a blob of `size` bytes.
    public init(size: UInt64, chunks: [ContentID]) throws(DecodingError) {
        try Self.checkLayout(size: size, chunks: chunks, sizeOffset: 0, chunksOffset: 0)
        self.size = size
        self.chunks = chunks
    }

    private init(checkedSize size: UInt64, chunks: [ContentID]) {
        self.size = size
        self.chunks = chunks
    }

    /// The largest encoded manifest: 65 536 links plus the fixed fields (about 2.6 MB).
    public static let encodedBytesMax = 27 + BlobLayout.chunkCountMax * linkBytes
    /// One link: tag (2) + byte-string head (2) + 0x00 + 36-byte CID.
    static let linkBytes = 41

    /// The DAG-CBOR bytes of the manifest block.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(27 + chunks.count * Self.linkBytes)
        CBOR.writeHead(.map, 2, to: &bytes)
        // DAG-CBOR orders keys by length first: "size" (4) before "chunks" (6).
        CBOR.writeText("size", to: &bytes)
        CBOR.writeHead(.unsignedInteger, size, to: &bytes)
        CBOR.writeText("chunks", to: &bytes)
        CBOR.writeHead(.array, UInt64(chunks.count), to: &bytes)
        for chunk in chunks { CBOR.writeLink(chunk, to: &bytes) }
        return bytes
    }

    /// The blob's address: the dag-cbor CID of `encoded`.
    public var id: ContentID { ContentID.of(encoded, codec: .dagCBOR) }

    /// Decodes a manifest block, rejecting every byte string `encoded` would not produce.
    public init(encoded bytes: [UInt8]) throws(DecodingError) {
        guard bytes.count <= Self.encodedBytesMax else {
            throw .tooLong(field: "manifest", offset: 0, length: bytes.count, max: Self.encodedBytesMax)
        }
        var reader = CBORReader(bytes)
        guard try reader.readHead(.map, "manifest") == 2 else {
            throw .invalidValue(field: "manifest", offset: 0, reason: "a manifest is a map of exactly 2 entries")
        }
        try reader.expectText("size", "first key")
        let sizeOffset = reader.offset
        let size = try reader.readHead(.unsignedInteger, "size")
        try reader.expectText("chunks", "second key")
        let countOffset = reader.offset
        let count = try reader.readHead(.array, "chunks")
        guard count <= UInt64(BlobLayout.chunkCountMax) else {
            throw .tooLong(field: "chunks", offset: countOffset, length: Int(clamping: count), max: BlobLayout.chunkCountMax)
        }
        var chunks: [ContentID] = []
        // Reserve only what the input can hold, so a lying count cannot make us allocate.
        chunks.reserveCapacity(min(Int(count), (bytes.count - reader.offset) / Self.linkBytes))
        for _ in 0..<count { chunks.append(try Self.readLink(&reader)) }
        try reader.expectEnd("manifest")
        try Self.checkLayout(size: size, chunks: chunks, sizeOffset: sizeOffset, chunksOffset: countOffset)
        self.init(checkedSize: size, chunks: chunks)
    }

    private static func readLink(_ reader: inout CBORReader) throws(DecodingError) -> ContentID {
        let start = reader.offset
        guard try reader.readHead(.tag, "link tag") == CBOR.cidTag else {
            throw .invalidValue(field: "link tag", offset: start, reason: "a chunk link is CBOR tag 42")
        }
        let length = try reader.readHead(.byteString, "link")
        guard length == 37 else {
            throw .invalidValue(field: "link", offset: start, reason: "a link holds 37 bytes (0x00 and a 36-byte CID), found \(length)")
        }
        let content = try reader.readBytes(37, "link")
        guard content[0] == 0 else {
            throw .invalidValue(field: "link", offset: start, reason: "a link's bytes start with the identity multibase 0x00")
        }
        let id: ContentID
        do {
            id = try ContentID(bytes: Array(content[1...]))
        } catch {
            throw .invalidValue(field: "link", offset: start, reason: error.reason)
        }
        guard id.codec == .raw else {
            throw .invalidValue(field: "link", offset: start, reason: "a chunk is a raw block, this link is dag-cbor")
        }
        return id
    }

    /// Only a blob larger than one chunk has a manifest, and it lists exactly its chunks.
    private static func checkLayout(
        size: UInt64, chunks: [ContentID], sizeOffset: Int, chunksOffset: Int
    ) throws(DecodingError) {
        guard BlobLayout.isChunked(size: size) else {
            throw .invalidValue(field: "size", offset: sizeOffset, reason: "a blob of \(size) bytes is one raw block, not a manifest")
        }
        guard size <= BlobLayout.blobBytesMax else {
            let reason = "\(size) bytes is more than the largest blob, \(BlobLayout.blobBytesMax)"
            throw .invalidValue(field: "size", offset: sizeOffset, reason: reason)
        }
        let expected = BlobLayout.chunkCount(forSize: size)
        guard chunks.count == expected else {
            let reason = "a blob of \(size) bytes has \(expected) chunks, the manifest lists \(chunks.count)"
            throw .invalidValue(field: "chunks", offset: chunksOffset, reason: reason)
        }
        guard let link = chunks.first(where: { $0.codec != .raw }) else { return }
        throw .invalidValue(field: "chunks", offset: chunksOffset, reason: "chunk \(link) is not a raw block")
    }
}
