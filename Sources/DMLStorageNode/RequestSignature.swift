import DMLCore
import Foundation

/// Who is asking a storage node: an Ed25519 signature over the request line and a timestamp,
/// carried in one header so that any HTTP client can send it.
///
/// Header `X-DML-Signature: <dml1… address> <unix ms> <128 hex signature>`; the signed message
/// is `DML-STORAGE\n<METHOD>\n<path>\n<unix ms>` (UTF-8). The path names the bucket and the
/// content address, so a signature cannot be moved to another blob; a node accepts it only
/// within `windowMilliseconds` of its own clock. A replay inside that window repeats the same
/// idempotent request (same bytes, same address), which is harmless.
public enum RequestSignature {
    public static let headerName = "X-DML-Signature"
    public static let windowMilliseconds: UInt64 = 5 * 60 * 1_000

    public static func message(method: String, path: String, timestamp: UInt64) -> [UInt8] {
        Array("DML-STORAGE\n\(method)\n\(path)\n\(timestamp)".utf8)
    }

    /// The header value for a request by `key`.
    public static func header(key: AccountKey, method: String, path: String, timestamp: UInt64) -> String {
        let signature = key.sign(message(method: method, path: path, timestamp: timestamp))
        return "\(key.account.address) \(timestamp) \(Hex.encode(signature))"
    }

    /// The signer of a valid header, or why it is not valid.
    public static func verify(_ value: String, method: String, path: String, now: UInt64) -> Result<AccountID, StorageNodeError> {
        let parts = value.split(separator: " ")
        guard parts.count == 3, let timestamp = UInt64(parts[1]), let signature = Hex.decode(String(parts[2])) else {
            return .failure(.badSignature("the \(headerName) header must be '<address> <unix ms> <hex signature>'"))
        }
        guard let account = try? AccountID(address: String(parts[0])) else {
            return .failure(.badSignature("'\(parts[0])' is not a dml1… address"))
        }
        let skew = timestamp > now ? timestamp - now : now - timestamp
        guard skew <= windowMilliseconds else {
            return .failure(.badSignature("the signature's time is \(skew) ms from the node's clock (at most \(windowMilliseconds) allowed)"))
        }
        guard account.isValidSignature(signature, for: message(method: method, path: path, timestamp: timestamp)) else {
            return .failure(.badSignature("the signature does not match \(method) \(path) by \(account)"))
        }
        return .success(account)
    }

    public static func nowMilliseconds() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1_000) }
}
