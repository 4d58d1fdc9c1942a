import DMLBlobs
import DMLLedger

/// Why a storage node refused a request: a stable code, an HTTP status, a message that says
/// what to do. The node answers `{"code": …, "message": …}` with the status.
public enum StorageNodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case badSignature(String)
    case unauthorized(String)
    case forbidden(String)
    case unknownBucket(UInt64)
    case wrongCluster(bucket: UInt64)
    case notReplica(String)
    case rentNotCovered(bucket: UInt64, coveredUntil: UInt64)
    case lengthRequired
    case tooLarge(bytes: UInt64, max: UInt64)
    case quotaExceeded(bucket: UInt64, stored: UInt64, adding: UInt64, quota: UInt64)
    case badAddress(String)
    case blob(BlobError)
    case notRegistered(String)

    public var statusCode: Int {
        switch self {
        case .badSignature, .unauthorized: 401
        case .forbidden: 403
        case .unknownBucket: 404
        case .wrongCluster, .notReplica: 421
        case .rentNotCovered: 402
        case .lengthRequired: 411
        case .tooLarge, .quotaExceeded: 413
        case .badAddress: 400
        case .notRegistered: 503
        case .blob(let error):
            switch error {
            case .notFound: 404
            case .addressMismatch, .truncated: 400
            case .tooLarge: 413
            case .corrupt, .rangeOutOfBounds, .io: 500
            }
        }
    }

    public var code: String {
        switch self {
        case .badSignature: "storage_node.bad_signature"
        case .unauthorized: "storage_node.unauthorized"
        case .forbidden: "storage_node.forbidden"
        case .unknownBucket: "storage_node.unknown_bucket"
        case .wrongCluster: "storage_node.wrong_cluster"
        case .notReplica: "storage_node.not_replica"
        case .rentNotCovered: "storage_node.rent_not_covered"
        case .lengthRequired: "storage_node.length_required"
        case .tooLarge: "storage_node.too_large"
        case .quotaExceeded: "storage_node.quota_exceeded"
        case .badAddress: "storage_node.bad_address"
        case .notRegistered: "storage_node.not_registered"
        case .blob(let error): error.code
        }
    }

    public var description: String {
        switch self {
        case .badSignature(let reason): "bad signature: \(reason)"
        case .unauthorized(let reason): reason
        case .forbidden(let reason): reason
        case .unknownBucket(let id): "there is no bucket \(id) on the ledger"
        case .wrongCluster(let id): "bucket \(id) is stored by another cluster"
        case .notReplica(let reason): reason
        case let .rentNotCovered(id, until):
            "bucket \(id)'s rent is covered only until \(until) ms; its owner must deposit more before it is served"
        case .lengthRequired: "uploads need a Content-Length header"
        case let .tooLarge(bytes, max): "the upload is \(bytes) bytes, this node takes at most \(max)"
        case let .quotaExceeded(id, stored, adding, quota):
            "bucket \(id) holds \(stored) bytes here; adding \(adding) would pass its reserved \(quota) (allocate more resource)"
        case .badAddress(let reason): "bad content address: \(reason)"
        case .notRegistered(let reason): reason
        case .blob(let error): error.description
        }
    }
}
