/// Where blobs live: written once from a stream, read back verified, found by address.
///
/// Every implementation keeps the same promises, which the store tests check:
/// - a `put` either stores the whole blob under its true address or stores nothing;
/// - a read yields only bytes that matched their hash, or throws `BlobError.corrupt`;
/// - memory per operation stays near one chunk (1 MiB), whatever the blob's size.
public protocol BlobStore: Sendable {
    /// The verified bytes of a blob, in order, in pieces of at most one chunk.
    associatedtype ByteStream: AsyncSequence<[UInt8], BlobError> & Sendable

    /// Streams `source` into the store while hashing it, and stores it under its address.
    ///
    /// - Parameters:
    ///   - expected: the address the caller was promised; other bytes are refused.
    ///   - bytesMax: refuse the blob as soon as it passes this many bytes.
    /// - Throws: `.tooLarge`, `.truncated` (the source threw), `.addressMismatch`, `.io`;
    ///   in every case nothing is stored. Storing a blob already present succeeds.
    func put<Source: AsyncSequence>(
        expected: ContentID?, bytesMax: UInt64, from source: Source
    ) async throws(BlobError) -> StoredBlob where Source.Element == [UInt8]

    /// The blob's bytes — or the bytes in `range` — each chunk checked against its hash before it is yielded.
    ///
    /// - Throws: `.notFound`, `.rangeOutOfBounds`, `.corrupt` (now, or later from the stream), `.io`.
    func read(_ id: ContentID, range: Range<UInt64>?) throws(BlobError) -> ByteStream

    /// The blob's size in bytes, as recorded (not verified).
    func size(of id: ContentID) throws(BlobError) -> UInt64

    /// Whether the store holds the blob (without checking its bytes).
    func contains(_ id: ContentID) -> Bool

    /// Removes the blob; removing one that is not there does nothing.
    func delete(_ id: ContentID) throws(BlobError)

    /// Every blob held, in address order.
    func list() throws(BlobError) -> [ContentID]

    /// Reads the whole blob and checks every chunk, for a repair scrubber.
    func verify(_ id: ContentID) async -> BlobHealth
}

extension BlobStore {
    /// Stores `source` with no expected address, up to the largest blob (64 GiB).
    public func put<Source: AsyncSequence>(_ source: Source) async throws(BlobError) -> StoredBlob
    where Source.Element == [UInt8] {
        try await put(expected: nil, bytesMax: BlobLayout.blobBytesMax, from: source)
    }

    /// The whole blob, verified chunk by chunk.
    public func read(_ id: ContentID) throws(BlobError) -> ByteStream { try read(id, range: nil) }
}

/// What a successful `put` stored.
public struct StoredBlob: Hashable, Sendable {
    public let id: ContentID
    public let size: UInt64
    /// The manifest of a blob larger than one chunk; `nil` otherwise.
    public let manifest: BlobManifest?

    public init(_ address: BlobAddress) {
        id = address.id
        size = address.size
        manifest = address.manifest
    }
}
