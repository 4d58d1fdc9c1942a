/// One share of a Shamir-shared byte string: the value at `x` of one polynomial per byte.
public struct ShamirShare: Sendable, Hashable {
    /// The x-coordinate, 1...255 (0 would be the secret itself).
    public let x: UInt8
    /// One byte per byte of the secret: each byte's polynomial evaluated at `x`.
    public let y: [UInt8]

    public init(x: UInt8, y: [UInt8]) {
        self.x = x
        self.y = y
    }
}

/// t-of-n Shamir secret sharing of byte strings over GF(2⁸) (Shamir 1979).
///
/// Each byte of the secret is the constant term of its own random polynomial of degree
/// `t − 1` over GF(2⁸) with the AES modulus x⁸ + x⁴ + x³ + x + 1 (0x11B); share `i` holds every
/// polynomial's value at x = i. Any `t` shares give the polynomials, hence the secret, by
/// Lagrange interpolation at 0; any `t − 1` shares are consistent with every possible secret,
/// so they reveal nothing. The field has 255 non-zero points, hence at most 255 shares.
///
/// Shamir cannot tell whether it was given enough shares — fewer than `t` shares still
/// interpolate to *some* value — so `combine` takes the threshold and refuses to go below it.
/// Field arithmetic is branch-free and table-free, so the time it takes does not depend on
/// the secret bytes.
public enum Shamir {
    /// The most shares (and so devices): the non-zero elements of GF(2⁸).
    public static let shareCountMax = 255

    /// `shareCount` shares of `secret` at x = 1...shareCount, any `threshold` of which rebuild it.
    ///
    /// - Parameter generator: the source of the polynomials' coefficients; the system's CSPRNG
    ///   in production, a seeded one only in tests.
    /// - Throws: `.tooManyShares` when `shareCount > 255`; `.invalidThreshold` unless
    ///   `1 ≤ threshold ≤ shareCount`.
    public static func split(secret: [UInt8], threshold: Int, shareCount: Int,
                             using generator: inout some RandomNumberGenerator) throws(SecAggError) -> [ShamirShare] {
        guard shareCount <= shareCountMax else { throw .tooManyShares(count: shareCount, max: shareCountMax) }
        guard threshold >= 1, threshold <= shareCount else {
            throw .invalidThreshold(threshold: threshold, shareCount: shareCount)
        }
        let length = secret.count
        // coefficients[(k − 1) · length + j] is the x^k coefficient of byte j's polynomial.
        let coefficients = randomBytes(count: (threshold - 1) * length, using: &generator)
        return (1...shareCount).map { index in
            let x = UInt8(index)
            var y = [UInt8](repeating: 0, count: length)
            for byte in 0..<length {
                // Horner: ((c_{t−1} · x + c_{t−2}) · x + …) · x + secret.
                var value: UInt8 = 0
                for power in stride(from: threshold - 1, through: 1, by: -1) {
                    value = GF256.multiply(value ^ coefficients[(power - 1) * length + byte], x)
                }
                y[byte] = value ^ secret[byte]
            }
            return ShamirShare(x: x, y: y)
        }
    }

    /// The secret rebuilt from the first `threshold` of `shares`.
    ///
    /// Every share is checked, but only the first `threshold` are used: with honest shares any
    /// `threshold` of them give the same secret. Wrong shares give a wrong secret, not an
    /// error, so callers check the result (the server checks commitments and public keys).
    ///
    /// - Throws: `.invalidThreshold` for `threshold < 1`; `.tooFewShares`; `.shareXZero`;
    ///   `.duplicateShareX`; `.shareLengthMismatch` (in this order).
    public static func combine(_ shares: [ShamirShare], threshold: Int) throws(SecAggError) -> [UInt8] {
        guard threshold >= 1 else { throw .invalidThreshold(threshold: threshold, shareCount: shares.count) }
        guard shares.count >= threshold else { throw .tooFewShares(count: shares.count, needed: threshold) }
        let length = shares[0].y.count
        var seen = Set<UInt8>()
        for share in shares {
            guard share.x != 0 else { throw .shareXZero }
            guard seen.insert(share.x).inserted else { throw .duplicateShareX(share.x) }
            guard share.y.count == length else { throw .shareLengthMismatch(expected: length, found: share.y.count) }
        }
        let used = Array(shares.prefix(threshold))
        let weights = lagrangeWeightsAtZero(used.map(\.x))
        var secret = [UInt8](repeating: 0, count: length)
        for (share, weight) in zip(used, weights) {
            for byte in 0..<length { secret[byte] ^= GF256.multiply(weight, share.y[byte]) }
        }
        return secret
    }

    /// λ_i = ∏_{j ≠ i} x_j / (x_j − x_i): the weight of share i in the value at 0 (subtraction
    /// is XOR in GF(2⁸)). The x's are distinct and non-zero, so no denominator is zero.
    static func lagrangeWeightsAtZero(_ xs: [UInt8]) -> [UInt8] {
        xs.indices.map { i in
            var numerator: UInt8 = 1
            var denominator: UInt8 = 1
            for j in xs.indices where j != i {
                numerator = GF256.multiply(numerator, xs[j])
                denominator = GF256.multiply(denominator, xs[j] ^ xs[i])
            }
            return GF256.multiply(numerator, GF256.inverse(denominator))
        }
    }

    /// `count` bytes from `generator`, eight per call to `next()`.
    static func randomBytes(count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(count + 8)
        while bytes.count < count {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return Array(bytes.prefix(count))
    }
}

/// Arithmetic in GF(2⁸) modulo x⁸ + x⁴ + x³ + x + 1 (0x11B), the field of AES (FIPS-197 §4):
/// addition is XOR; multiplication is carry-less, reduced by the modulus.
enum GF256 {
    /// a · b, by shift-and-add with masks instead of branches or log tables (whose
    /// secret-dependent lookups could leak through cache timing).
    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var a = a
        var b = b
        var product: UInt8 = 0
        for _ in 0..<8 {
            product ^= a & (0 &- (b & 1))
            let highBitMask = 0 &- (a >> 7)
            a = (a << 1) ^ (0x1B & highBitMask)
            b >>= 1
        }
        return product
    }

    /// a⁻¹ = a²⁵⁴ (the multiplicative group has order 255); 0 for 0, which callers never pass.
    static func inverse(_ a: UInt8) -> UInt8 {
        // 254 = 0b11111110: square-and-multiply with a fixed sequence of operations.
        var result: UInt8 = 1
        var power = a
        for bit in 0..<8 {
            if bit > 0 { result = multiply(result, power) }
            power = multiply(power, power)
        }
        return result
    }
}
