/// The ChaCha20 block function of RFC 8439, used here only as a fast deterministic stream to
/// expand a 32-byte digest into a lattice-hash element. Not used for encryption.
///
/// Eight consecutive blocks are computed at once, one per SIMD lane, so no lane shuffles are
/// needed and the compiler can keep everything in vector registers.
enum ChaCha20 {
    private typealias Lanes = SIMD8<UInt32>
    private static let constants: [UInt32] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]

    /// Writes `blockCount` 64-byte keystream blocks (a multiple of 8) for `key` (8 little-endian
    /// words), a zero nonce and counters starting at 0, as little-endian 32-bit words.
    static func keystream(key: [UInt32], blockCount: Int, into output: inout [UInt32]) {
        precondition(key.count == 8 && blockCount % 8 == 0)
        output.removeAll(keepingCapacity: true)
        output.reserveCapacity(blockCount * 16)
        var counterBase: UInt32 = 0
        for _ in 0..<(blockCount / 8) {
            let counters = Lanes(0, 1, 2, 3, 4, 5, 6, 7) &+ Lanes(repeating: counterBase)
            var initial = [Lanes](repeating: Lanes(), count: 16)
            for word in 0..<4 { initial[word] = Lanes(repeating: constants[word]) }
            for word in 0..<8 { initial[4 + word] = Lanes(repeating: key[word]) }
            initial[12] = counters
            var x = initial
            for _ in 0..<10 {
                quarterRound(&x, 0, 4, 8, 12); quarterRound(&x, 1, 5, 9, 13)
                quarterRound(&x, 2, 6, 10, 14); quarterRound(&x, 3, 7, 11, 15)
                quarterRound(&x, 0, 5, 10, 15); quarterRound(&x, 1, 6, 11, 12)
                quarterRound(&x, 2, 7, 8, 13); quarterRound(&x, 3, 4, 9, 14)
            }
            for word in 0..<16 { x[word] &+= initial[word] }
            for lane in 0..<8 {
                for word in 0..<16 { output.append(x[word][lane]) }
            }
            counterBase &+= 8
        }
    }

    @inline(__always)
    private static func quarterRound(_ x: inout [Lanes], _ a: Int, _ b: Int, _ c: Int, _ d: Int) {
        x[a] &+= x[b]; x[d] = rotate(x[d] ^ x[a], 16)
        x[c] &+= x[d]; x[b] = rotate(x[b] ^ x[c], 12)
        x[a] &+= x[b]; x[d] = rotate(x[d] ^ x[a], 8)
        x[c] &+= x[d]; x[b] = rotate(x[b] ^ x[c], 7)
    }

    @inline(__always)
    private static func rotate(_ value: Lanes, _ count: UInt32) -> Lanes {
        (value &<< Lanes(repeating: count)) | (value &>> Lanes(repeating: 32 - count))
    }
}
