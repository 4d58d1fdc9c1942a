@testable import DMLBlobs
import Foundation
import Testing

/// One chunk: 1 MiB.
let mebibyte = BlobLayout.chunkBytes

/// Blobs, sources and scratch stores shared by the blob tests.
enum TestBlobs {
    /// Byte `i` is `i mod 251`: deterministic, and every 1 MiB chunk differs (1 MiB is not a
    /// multiple of the prime 251). The same pattern as the worked example in `docs/blobs.md`.
    static func pattern(_ count: Int) -> [UInt8] {
        let cycle = (0..<251).map { UInt8($0) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + cycle.count)
        while bytes.count < count { bytes += cycle }
        return Array(bytes.prefix(count))
    }

    /// `bytes` cut into pieces of `pieceBytes`, then ends — or throws `failure` after the last piece.
    static func source(
        _ bytes: [UInt8], pieceBytes: Int = 100_003, thenThrowing failure: (any Error)? = nil
    ) -> AsyncThrowingStream<[UInt8], any Error> {
        AsyncThrowingStream { continuation in
            var offset = 0
            while offset < bytes.count {
                continuation.yield(Array(bytes[offset..<min(offset + pieceBytes, bytes.count)]))
                offset += pieceBytes
            }
            continuation.finish(throwing: failure)
        }
    }

    /// Yields `pieces` pieces of 100 bytes, then cancels the task reading it and ends quietly,
    /// the way `AsyncStream` ends when its consumer is cancelled.
    struct SelfCancellingSource: AsyncSequence {
        let pieces: Int

        func makeAsyncIterator() -> Iterator { Iterator(left: pieces) }

        struct Iterator: AsyncIteratorProtocol {
            var left: Int

            mutating func next() async throws -> [UInt8]? {
                guard left > 0 else {
                    withUnsafeCurrentTask { $0?.cancel() }
                    return nil
                }
                left -= 1
                return Array(repeating: 1, count: 100)
            }
        }
    }

    struct SourceFailure: Error, CustomStringConvertible {
        var description: String { "the connection was reset" }
    }

    /// Every byte a read stream yields.
    static func collect<Bytes: AsyncSequence<[UInt8], BlobError>>(_ stream: Bytes) async throws(BlobError) -> [UInt8] {
        var bytes: [UInt8] = []
        for try await piece in stream { bytes += piece }
        return bytes
    }
}

/// A `FileBlobStore` in a fresh directory under the system's temp folder, removed by `remove()`.
struct ScratchStore {
    let directory: String
    let store: FileBlobStore

    init() throws {
        directory = NSTemporaryDirectory() + "dml-blobs-" + UUID().uuidString
        store = try FileBlobStore(directory: directory)
    }

    func reopen() throws -> FileBlobStore { try FileBlobStore(directory: directory) }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    /// The files in `tmp/` and, recursively, in `blobs/`: what a failed upload must not leave.
    func files() throws -> (temp: [String], blobs: [String]) {
        let manager = FileManager.default
        let temp = try manager.contentsOfDirectory(atPath: store.tempDirectory)
        let blobs = try manager.subpathsOfDirectory(atPath: store.blobsDirectory).filter {
            var isDirectory: ObjCBool = false
            let exists = manager.fileExists(atPath: store.blobsDirectory + "/" + $0, isDirectory: &isDirectory)
            return exists && !isDirectory.boolValue
        }
        return (temp, blobs)
    }

    /// Flips every bit of the byte at `offset` of `path`, in place.
    func flipByte(at offset: Int, of path: String) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[offset] ^= 0xff
        try data.write(to: URL(fileURLWithPath: path))
    }
}
