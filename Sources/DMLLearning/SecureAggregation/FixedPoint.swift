/// The fixed-point code that turns a device's `[Float]` update into words that can be masked
/// and summed modulo 2³², and turns the sum back.
///
/// Masks are uniform words added modulo 2³², so the values they hide must be integers modulo
/// 2³² too. Each value is clipped to `[−clip, clip]`, multiplied by `scale` and rounded to
/// the nearest integer, stored as the bits of an `Int32`. The scale is
///
///     scale = ⌊(2³¹ − 1) / (maxContributors · clip)⌋
///
/// so that one value is at most `(2³¹ − 1) / maxContributors` in magnitude and the sum of up
/// to `maxContributors` of them stays inside `Int32`: the modular sum, read as an `Int32`, is
/// the true integer sum, with no wrap-around. (After rounding a value is also clamped to
/// `⌊(2³¹ − 1) / maxContributors⌋`, because rounding up could otherwise pass that bound by
/// less than one step.)
///
/// Precision: one step is `1 / scale`. A value inside the clip comes back within half a step;
/// a sum of `k` values within `k / (2 · scale)`. With `clip = 1` and 1,000 contributors the
/// step is about 4.7 · 10⁻⁷.
public struct FixedPoint: Sendable, Equatable {
    /// The bound on each value's magnitude; larger values are clipped to it.
    public let clip: Float
    /// The most updates that may be summed without overflow: the roster size or more.
    public let maxContributors: Int
    /// Integer steps per unit: `⌊(2³¹ − 1) / (maxContributors · clip)⌋`, at least 1.
    public let scale: Double
    /// The largest level one value may take, `⌊(2³¹ − 1) / maxContributors⌋`.
    let levelMax: Double

    /// A code for values in `[−clip, clip]` summed over at most `maxContributors` devices.
    ///
    /// - Throws: `.invalidQuantization` when `clip` is not finite and positive, when
    ///   `maxContributors < 1`, or when `maxContributors · clip > 2³¹ − 1` (scale would be 0).
    public init(clip: Float, maxContributors: Int) throws(SecAggError) {
        guard clip.isFinite, clip > 0, maxContributors >= 1 else {
            throw .invalidQuantization(clip: clip, maxContributors: maxContributors)
        }
        let scale = (Double(Int32.max) / (Double(maxContributors) * Double(clip))).rounded(.down)
        guard scale >= 1 else { throw .invalidQuantization(clip: clip, maxContributors: maxContributors) }
        self.clip = clip
        self.maxContributors = maxContributors
        self.scale = scale
        self.levelMax = (Double(Int32.max) / Double(maxContributors)).rounded(.down)
    }

    /// The width of one step, `1 / scale`: the resolution of the code.
    public var precision: Double { 1 / scale }

    /// Each value clipped, scaled, rounded, as the bits of an `Int32`.
    ///
    /// - Throws: `.notANumber` for a NaN (infinities are clipped like any large value).
    public func quantize(_ values: [Float]) throws(SecAggError) -> [UInt32] {
        var words = [UInt32](repeating: 0, count: values.count)
        for index in values.indices {
            let value = values[index]
            guard !value.isNaN else { throw .notANumber(index: index) }
            let clipped = Double(Swift.min(Swift.max(value, -clip), clip))
            let level = Swift.min(Swift.max((clipped * scale).rounded(.toNearestOrEven), -levelMax), levelMax)
            words[index] = UInt32(bitPattern: Int32(level))
        }
        return words
    }

    /// A modular sum of quantized vectors (from at most `maxContributors` devices) as floats:
    /// each word read as an `Int32` and divided by the scale.
    public func dequantize(_ sum: [UInt32]) -> [Float] {
        sum.map { Float(Double(Int32(bitPattern: $0)) / scale) }
    }
}
