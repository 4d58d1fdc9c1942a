#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a blob operation failed. Each case has a stable `code` and a message that says what to do.
public enum BlobError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The blob is larger than the limit the caller set (or than 64 GiB); nothing was stored.
    case tooLarge(bytesMax: UInt64)
    /// The bytes received do not have the address the caller expected; nothing was stored.
    case addressMismatch(expected: ContentID, actual: ContentID)
    /// The store has no blob with this address.
    case notFound(ContentID)
    /// The stored copy does not match its address; no wrong byte was or will be returned.
    case corrupt(ContentID, Corruption)
    /// The source of a `put` failed after `bytesReceived` bytes; nothing was stored.
    case truncated(bytesReceived: UInt64, cause: String)
    /// A read asked for bytes beyond the end of the blob.
    case rangeOutOfBounds(Range<UInt64>, size: UInt64)
    /// The operating system refused `operation` on `path`, with `errno`.
    case io(operation: String, path: String, errno: Int32)

    /// A stable identifier for logs and API bodies; never renamed or reused.
    public var code: String {
        switch self {
        case .tooLarge: "blob.too_large"
        case .addressMismatch: "blob.address_mismatch"
        case .notFound: "blob.not_found"
        case .corrupt: "blob.corrupt"
        case .truncated: "blob.truncated"
        case .rangeOutOfBounds: "blob.range_out_of_bounds"
        case .io: "blob.io"
        }
    }

    public var description: String { "[\(code)] \(message)" }

    public var message: String {
        switch self {
        case .tooLarge(let bytesMax):
            "the blob is larger than the limit of \(bytesMax) bytes; nothing was stored"
        case let .addressMismatch(expected, actual):
            "the bytes received have address \(actual), not the expected \(expected); nothing was stored"
        case .notFound(let id):
            "no blob \(id) in this store"
        case let .corrupt(id, corruption):
            "the stored copy of \(id) is corrupt (\(corruption)); delete it and fetch it again from a peer"
        case let .truncated(bytesReceived, cause):
            "the upload stopped after \(bytesReceived) bytes (\(cause)); nothing was stored, send it again"
        case let .rangeOutOfBounds(range, size):
            "bytes \(range.lowerBound)..<\(range.upperBound) are past the end of a \(size)-byte blob"
        case let .io(operation, path, errno):
            "\(operation) \(path) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        }
    }
}

/// What is wrong with a stored blob.
public enum Corruption: Equatable, Sendable, CustomStringConvertible {
    /// Chunk `index` (0-based, 1 MiB each) does not hash to its address, or is short.
    case chunk(index: Int)
    /// The manifest file does not hash to the blob's address, or does not decode.
    case manifest(reason: String)
    /// The data file's length differs from the size the manifest records.
    case length(expected: UInt64, actual: UInt64)

    public var description: String {
        switch self {
        case .chunk(let index): "chunk \(index) does not match its hash"
        case .manifest(let reason): "manifest: \(reason)"
        case let .length(expected, actual): "the data file holds \(actual) bytes, the manifest says \(expected)"
        }
    }
}

/// What a scrubber learns from checking one blob.
public enum BlobHealth: Equatable, Sendable {
    /// Every byte matches the address.
    case ok
    /// The store does not hold the blob.
    case missing
    /// The stored copy is damaged; it should be deleted and fetched again.
    case corrupt(Corruption)
    /// The blob could not be read at all (permissions, a failing disk): `error` says why.
    case unreadable(BlobError)
}
