import DMLCore

/// The Merkle tree hash of RFC 6962 §2.1 over a list of byte strings:
/// `MTH({}) = SHA-256()`, `MTH({d}) = SHA-256(0x00 ‖ d)`,
/// `MTH(D[n]) = SHA-256(0x01 ‖ MTH(D[0..<k]) ‖ MTH(D[k..<n]))` with `k` the largest power of two
/// below `n`. Chosen because any language has or can write it, and it allows inclusion proofs.
public enum MerkleRoot {
    public static func of(_ leaves: [[UInt8]]) -> Hash256 {
        guard !leaves.isEmpty else { return Hash256.of([UInt8]()) }
        return subtree(leaves[...])
    }

    private static func subtree(_ leaves: ArraySlice<[UInt8]>) -> Hash256 {
        if leaves.count == 1 { return Hash256.of(parts: [[0x00], leaves.first!]) }
        var split = 1
        while split * 2 < leaves.count { split *= 2 }
        let left = subtree(leaves.prefix(split))
        let right = subtree(leaves.dropFirst(split))
        return Hash256.of(parts: [[0x01], left.bytes, right.bytes])
    }
}
