import Crypto
import CryptoExtras
import Foundation

/// The ChaCha20 key stream of RFC 8439 (zero nonce, block counter from 0), used only to expand
/// a 32-byte digest into a lattice-hash element — never for encryption. BoringSSL's vectorised
/// implementation, because this is the state root's hot path.
enum ChaCha20 {
    private static let zeroNonce: Insecure.ChaCha20CTR.Nonce = {
        do { return try Insecure.ChaCha20CTR.Nonce(data: [UInt8](repeating: 0, count: 12)) } catch {
            preconditionFailure("a 12-byte nonce is valid")
        }
    }()
    private static let zeroBlocks = Data(repeating: 0, count: 64 * 32)

    /// 2048 bytes (32 blocks) of key stream for `key` (32 bytes).
    static func keystream(key: [UInt8]) -> Data {
        precondition(key.count == 32)
        do {
            return try Insecure.ChaCha20CTR.encrypt(zeroBlocks, using: SymmetricKey(data: key), nonce: zeroNonce)
        } catch {
            preconditionFailure("ChaCha20 with a 32-byte key and 12-byte nonce cannot fail: \(error)")
        }
    }
}
