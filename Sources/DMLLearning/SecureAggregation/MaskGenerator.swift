import Crypto
import CryptoExtras
import DMLCore
import Foundation

/// What a mask hides behind; part of the key derivation, so that a self mask and a pairwise
/// mask never share a keystream even if their seeds were equal.
public enum MaskLabel: String, Sendable, CaseIterable {
    /// `PRG(b_u)`: the device's own mask, removed once the device is known to have survived.
    case selfMask = "self"
    /// `PRG(s_uv)`: the mask two devices share; it cancels in the sum when both survive.
    case pairwise = "pair"
}

/// The pseudorandom generator that expands a 32-byte seed into a mask of `UInt32` words.
///
/// The mask is AES-256-CTR over zero bytes, read as little-endian words. The AES key is
///
///     HKDF-SHA256(ikm: seed, salt: empty,
///                 info: str("dml-secagg-mask-v1") ‖ u64(round) ‖ str(label), 32 bytes)
///
/// (`str` a u32 little-endian length then UTF-8, `u64` little-endian: DML's canonical
/// encoding). The counter block starts at zero: a fixed nonce is safe because a key is used for
/// exactly one keystream, and the round number in the derivation means that even a seed used
/// again in another round gives another key.
///
/// The keystream is made in chunks of `chunkBytes` and added into the caller's vector as it
/// comes, so a model of millions of parameters never needs its whole mask in memory twice.
/// Chunk `k` starts at counter block `k · chunkBytes / 16`, so the words are the same as one
/// long AES-CTR stream whatever the chunk size.
public enum MaskGenerator {
    /// The length of every seed: a self-mask seed `b_u` and a pairwise seed `s_uv`.
    public static let seedBytes = 32
    /// How much keystream is made at a time (64 KiB, 16,384 words).
    public static let chunkBytes = 64 * 1024

    /// Adds `PRG(seed)` to `words`, word by word, modulo 2³².
    public static func add(seed: [UInt8], round: UInt64, label: MaskLabel, to words: inout [UInt32]) {
        apply(seed: seed, round: round, label: label, subtracting: false, to: &words)
    }

    /// Subtracts `PRG(seed)` from `words`, word by word, modulo 2³².
    public static func subtract(seed: [UInt8], round: UInt64, label: MaskLabel, from words: inout [UInt32]) {
        apply(seed: seed, round: round, label: label, subtracting: true, to: &words)
    }

    /// The first `count` words of `PRG(seed)` (for tests and for other implementations to
    /// check against).
    public static func words(seed: [UInt8], round: UInt64, label: MaskLabel, count: Int) -> [UInt32] {
        var words = [UInt32](repeating: 0, count: count)
        add(seed: seed, round: round, label: label, to: &words)
        return words
    }

    /// The AES-256 key of one mask.
    static func key(seed: [UInt8], round: UInt64, label: MaskLabel) -> SymmetricKey {
        precondition(seed.count == seedBytes, "mask seeds are 32 bytes")
        var info = ByteWriter(capacity: 40)
        info.write("dml-secagg-mask-v1")
        info.write(round)
        info.write(label.rawValue)
        return HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: seed), salt: [UInt8](),
                                      info: info.bytes, outputByteCount: 32)
    }

    private static func apply(seed: [UInt8], round: UInt64, label: MaskLabel, subtracting: Bool,
                              to words: inout [UInt32]) {
        let aesKey = Self.key(seed: seed, round: round, label: label)
        let wordsPerChunk = chunkBytes / 4
        let zeros = [UInt8](repeating: 0, count: Swift.min(chunkBytes, 4 * words.count))
        var start = 0
        var chunk: UInt64 = 0
        while start < words.count {
            let count = Swift.min(wordsPerChunk, words.count - start)
            let stream = keystream(key: aesKey, firstBlock: chunk * UInt64(chunkBytes / 16), zeros: zeros.prefix(4 * count))
            stream.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                words.withUnsafeMutableBufferPointer { buffer in
                    if subtracting {
                        for offset in 0..<count {
                            let word = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * offset, as: UInt32.self))
                            buffer[start + offset] &-= word
                        }
                    } else {
                        for offset in 0..<count {
                            let word = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * offset, as: UInt32.self))
                            buffer[start + offset] &+= word
                        }
                    }
                }
            }
            start += count
            chunk += 1
        }
    }

    /// AES-CTR over `zeros` from the 128-bit big-endian counter block `firstBlock`.
    private static func keystream(key: SymmetricKey, firstBlock: UInt64, zeros: ArraySlice<UInt8>) -> Data {
        var counter = [UInt8](repeating: 0, count: 16)
        for byte in 0..<8 { counter[15 - byte] = UInt8(truncatingIfNeeded: firstBlock >> (8 * UInt64(byte))) }
        // Neither call can fail: the nonce is 16 bytes and the key 32.
        guard let nonce = try? AES._CTR.Nonce(nonceBytes: counter),
              let stream = try? AES._CTR.encrypt(zeros, using: key, nonce: nonce) else {
            preconditionFailure("AES-256-CTR refused a 32-byte key or a 16-byte counter block")
        }
        return stream
    }
}

/// Where the masks' seeds come from: key agreement between devices, and the commitment that
/// lets the server check a rebuilt self-mask seed.
extension MaskGenerator {
    /// The pairwise seed `s_uv` of devices `u` and `v`, which both (and only they, or whoever
    /// rebuilds one of their masking keys) can compute:
    ///
    ///     HKDF-SHA256(ikm: X25519(s_u_sk, s_v_pk), salt: empty,
    ///                 info: str("dml-secagg-pair-v1") ‖ u64(round) ‖ str(min(u, v)) ‖ str(max(u, v)))
    ///
    /// - Throws: `.invalidPublicKey(peer)` when the agreement gives the all-zero secret.
    static func pairwiseSeed(privateKey: Curve25519.KeyAgreement.PrivateKey,
                             peerKey: Curve25519.KeyAgreement.PublicKey,
                             ids: (own: String, peer: String), round: UInt64) throws(SecAggError) -> [UInt8] {
        let secret = try agreement(privateKey, peerKey, peer: ids.peer)
        var info = ByteWriter(capacity: 64)
        info.write("dml-secagg-pair-v1")
        info.write(round)
        info.write(Swift.min(ids.own, ids.peer))
        info.write(Swift.max(ids.own, ids.peer))
        let seed = secret.hkdfDerivedSymmetricKey(using: SHA256.self, salt: [UInt8](), sharedInfo: info.bytes,
                                                  outputByteCount: seedBytes)
        return seed.withUnsafeBytes { Array($0) }
    }

    /// Whether the device with id `own` adds (`true`) or subtracts its pairwise mask with
    /// `peer`: it adds when its id is the smaller, so the two masks cancel in the sum.
    static func addsPairwiseMask(own: String, peer: String) -> Bool { own < peer }

    /// The device's commitment to its self-mask seed, published with its keys:
    /// `SHA-256(str("dml-secagg-commit-v1") ‖ u64(round) ‖ str(deviceID) ‖ b_u)`. The seed is
    /// 32 random bytes, so the hash reveals nothing of it; it lets the server tell a seed
    /// rebuilt from honest shares from one rebuilt from a wrong share.
    static func selfMaskCommitment(seed: [UInt8], deviceID: String, round: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 96)
        writer.write("dml-secagg-commit-v1")
        writer.write(round)
        writer.write(deviceID)
        writer.writeFixed(seed)
        return Array(SHA256.hash(data: writer.bytes))
    }

    /// X25519, refusing the all-zero result a low-order public key gives (swift-crypto does
    /// not): keys derived from it would be known to everyone.
    static func agreement(_ privateKey: Curve25519.KeyAgreement.PrivateKey,
                          _ publicKey: Curve25519.KeyAgreement.PublicKey,
                          peer: String) throws(SecAggError) -> SharedSecret {
        guard let secret = try? privateKey.sharedSecretFromKeyAgreement(with: publicKey) else {
            throw .invalidPublicKey(deviceID: peer)
        }
        let orOfBytes = secret.withUnsafeBytes { raw in raw.reduce(UInt8(0)) { $0 | $1 } }
        guard orOfBytes != 0 else { throw .invalidPublicKey(deviceID: peer) }
        return secret
    }
}
