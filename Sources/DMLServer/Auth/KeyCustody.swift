import Crypto
import DMLCore
import Foundation

/// Keeps the Ed25519 keys the server holds for its users, encrypted at rest.
///
/// A key is sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the server secret,
/// with the user's id as associated data, so a sealed key copied to another user's row does
/// not open. The secret never touches the database: it comes from `DML_SECRET` (or, on the
/// embedded default, a file only the owner can read).
public struct KeyCustody: Sendable {
    private let key: SymmetricKey

    public init(secret: [UInt8]) {
        key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: secret),
                                     info: Array("dml-key-custody-v1".utf8), outputByteCount: 32)
    }

    /// The sealed form of `accountKey`: nonce ‖ ciphertext ‖ tag.
    public func seal(_ accountKey: AccountKey, for user: String) -> [UInt8] {
        // Sealing fails only on a bad key size, which `init` rules out.
        guard let box = try? AES.GCM.seal(accountKey.seed, using: key, authenticating: Array(user.utf8)),
              let combined = box.combined else { preconditionFailure("AES-GCM sealing failed") }
        return Array(combined)
    }

    /// The key sealed for `user`; `nil` if it was sealed for someone else, under another
    /// secret, or has been altered.
    public func open(_ sealed: [UInt8], for user: String) -> AccountKey? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
              let seed = try? AES.GCM.open(box, using: key, authenticating: Array(user.utf8)) else { return nil }
        return try? AccountKey(seed: Array(seed))
    }
}
