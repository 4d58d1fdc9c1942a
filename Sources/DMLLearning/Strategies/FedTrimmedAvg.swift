/// Coordinate-wise trimmed mean (Yin et al. 2018, "Byzantine-Robust Distributed Learning:
/// Towards Optimal Statistical Rates"): for each parameter, drop the k largest and the k
/// smallest values across the updates and average the n − 2k that remain.
///
/// With at most k bad updates, every coordinate of the result lies between the smallest and the
/// largest honest value. It keeps more of the honest information than the median (k = 0 is the
/// plain unweighted mean; the largest k is the median), ignores example counts, and needs the
/// individual updates (no secure aggregation).
public struct FedTrimmedAvg: AggregationStrategy {
    /// How much to trim from each end of every coordinate.
    public enum Trim: Sendable, Hashable {
        /// k = ⌊β·n⌋ from each end, β ∈ [0, 0.5), computed in Double (as SciPy's `trim_mean`
        /// and Flower's `FedTrimmedAvg`): follows the round's size, never too few updates.
        case fraction(Double)
        /// Exactly k from each end: tolerates k bad updates, needs n > 2k.
        case count(Int)
    }

    public var name: String { "fedtrimmedavg" }
    public let trim: Trim

    /// - Precondition: β ∈ [0, 0.5) or k ≥ 0 (a job specification checks this first).
    public init(trim: Trim) {
        switch trim {
        case .fraction(let beta):
            precondition(beta >= 0 && beta < 0.5, "FedTrimmedAvg needs β in [0, 0.5), got \(beta)")
        case .count(let count):
            precondition(count >= 0, "FedTrimmedAvg needs k ≥ 0, got \(count)")
        }
        self.trim = trim
    }

    /// Trims ⌊β·n⌋ from each end.
    public init(beta: Double) { self.init(trim: .fraction(beta)) }

    /// Trims exactly `trimCount` from each end.
    public init(trimCount: Int) { self.init(trim: .count(trimCount)) }

    /// k for a round of `updateCount` updates.
    public func trimCount(updateCount: Int) -> Int {
        switch trim {
        case .fraction(let beta): Int((beta * Double(updateCount)).rounded(.down))
        case .count(let count): count
        }
    }

    /// - Throws: `validated`'s errors, then `.tooFewUpdates` unless n > 2k.
    public func aggregate(_ updates: [ClientUpdate], current: [Float]) throws(AggregationError) -> [Float] {
        let ordered = try validated(updates, current: current)
        let count = trimCount(updateCount: ordered.count)
        guard ordered.count > 2 * count else { throw .tooFewUpdates(count: ordered.count, needed: 2 * count + 1) }
        return Self.trimmedMean(ordered.map(\.parameters), trimCount: count)
    }

    /// The coordinate-wise mean of equally long, finite vectors after dropping the `trimCount`
    /// largest and smallest values of each coordinate.
    public static func trimmedMean(_ vectors: [[Float]], trimCount: Int) -> [Float] {
        precondition(trimCount >= 0 && vectors.count > 2 * trimCount)
        precondition(vectors.allSatisfy { $0.count == vectors[0].count })
        return Chunked.columns(vectors) { column in trimmedMeanOfColumn(column, trimCount: trimCount) }
    }

    /// One column's trimmed mean (the column is reordered in place), summed in Double in
    /// ascending order and rounded once to Float.
    static func trimmedMeanOfColumn(_ column: UnsafeMutableBufferPointer<Float>, trimCount: Int) -> Float {
        var values = column
        values.sort()
        var sum = 0.0
        for index in trimCount..<(values.count - trimCount) { sum += Double(values[index]) }
        return Float(sum / Double(values.count - 2 * trimCount))
    }
}
