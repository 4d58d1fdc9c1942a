import Foundation

/// A deterministic random number generator: xoshiro256** (Blackman and Vigna 2018), its state
/// filled from the seed by SplitMix64, the seeding its authors recommend.
///
/// Why: tests, simulations and data shuffles must give the same numbers from the same seed on
/// every platform and Swift version, which `SystemRandomNumberGenerator` (used in production,
/// for noise that protects people) never does. Not cryptographically secure: never use it for
/// privacy noise outside tests, nor for keys or masks.
public struct SeededXoshiro: RandomNumberGenerator, Sendable, Equatable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator whose stream is fixed by `seed` (any value, 0 included).
    public init(seed: UInt64) {
        // SplitMix64 outputs of consecutive counters are distinct, so the state is never all
        // zero (the one state xoshiro cannot leave).
        var counter = seed
        s0 = Self.splitMix64(&counter)
        s1 = Self.splitMix64(&counter)
        s2 = Self.splitMix64(&counter)
        s3 = Self.splitMix64(&counter)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = Self.rotateLeft(s1 &* 5, by: 7) &* 9
        let shifted = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= shifted
        s3 = Self.rotateLeft(s3, by: 45)
        return result
    }

    static func splitMix64(_ counter: inout UInt64) -> UInt64 {
        counter &+= 0x9E37_79B9_7F4A_7C15
        var z = counter
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func rotateLeft(_ value: UInt64, by count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }
}

/// Gaussian noise N(0, standardDeviation^2), drawn from any `RandomNumberGenerator`.
///
/// In DP-SGD and DP-FedAvg the standard deviation is the noise multiplier times the clip bound
/// (`RDPAccountant` reasons about the multiplier). Samples come from the Marsaglia polar method:
/// only `log` and `sqrt`, no trigonometry, so a seeded stream varies least across platforms;
/// uniforms are built from the top 53 bits of `next()` by hand because the standard library's
/// `Double.random(in:using:)` may change how it consumes bits between Swift versions.
///
/// Caveat, as for every floating-point Gaussian: the sample's low bits are not exactly those of
/// the ideal distribution (Mironov 2012), which the accountant does not model.
public struct GaussianNoise: Sendable, Equatable {
    /// The standard deviation sigma (>= 0) of every sample.
    public let standardDeviation: Double

    /// How many rejected candidate pairs `standardNormalPair` tolerates: each is rejected with
    /// probability 1 - pi/4, so reaching this means the generator is broken (a bug).
    static let polarAttemptsMax = 1000

    /// Noise of standard deviation `standardDeviation`; nil unless it is finite and >= 0
    /// (0 gives noise that changes nothing, for runs without privacy).
    public init?(standardDeviation: Double) {
        guard standardDeviation.isFinite && standardDeviation >= 0 else { return nil }
        self.standardDeviation = standardDeviation
    }

    /// One sample of N(0, standardDeviation^2). It uses the first of a polar pair and drops
    /// the second: stateless and simple; `add(to:using:)` uses both.
    public func sample<G: RandomNumberGenerator>(using generator: inout G) -> Double {
        Self.standardNormalPair(using: &generator).0 * standardDeviation
    }

    /// Adds independent N(0, standardDeviation^2) noise to every element, in place (each sum
    /// computed in Double and rounded once to Float).
    public func add<G: RandomNumberGenerator>(to values: inout [Float], using generator: inout G) {
        var index = values.startIndex
        while index < values.endIndex {
            let (first, second) = Self.standardNormalPair(using: &generator)
            values[index] = Float(Double(values[index]) + first * standardDeviation)
            index += 1
            if index < values.endIndex {
                values[index] = Float(Double(values[index]) + second * standardDeviation)
                index += 1
            }
        }
    }

    /// Adds N(0, standardDeviation^2) noise to every element, in place, for training loops
    /// whose deviation comes from a checked plan (finite, >= 0; anything else is a bug).
    public static func add<G: RandomNumberGenerator>(
        to values: inout [Float], standardDeviation: Double, using generator: inout G
    ) {
        guard let noise = GaussianNoise(standardDeviation: standardDeviation) else {
            preconditionFailure("the noise standard deviation \(standardDeviation) was not validated")
        }
        noise.add(to: &values, using: &generator)
    }

    /// Two independent N(0, 1) samples (Marsaglia polar method): draw (u, v) uniform in the
    /// square [-1, 1)^2 until 0 < s = u^2 + v^2 < 1, then scale both by sqrt(-2 ln(s) / s).
    public static func standardNormalPair<G: RandomNumberGenerator>(using generator: inout G) -> (Double, Double) {
        for _ in 0..<polarAttemptsMax {
            let u = 2 * unitInterval(using: &generator) - 1
            let v = 2 * unitInterval(using: &generator) - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let scale = (-2 * log(s) / s).squareRoot()
                return (u * scale, v * scale)
            }
        }
        preconditionFailure("the random number generator returned \(polarAttemptsMax) unusable pairs")
    }

    /// A uniform Double in [0, 1) with 53 random bits: (next() >> 11) * 2^-53.
    static func unitInterval<G: RandomNumberGenerator>(using generator: inout G) -> Double {
        Double(generator.next() >> 11) * 0x1p-53
    }
}
