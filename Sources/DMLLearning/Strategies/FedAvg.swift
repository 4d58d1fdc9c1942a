/// Federated Averaging (McMahan et al. 2017, "Communication-Efficient Learning of Deep Networks
/// from Decentralized Data"): the next model is the average of the devices' models, each
/// weighted by how many examples it trained on.
///
///     w ← Σₖ (nₖ / n) · wₖ        n = Σₖ nₖ
///
/// The cheapest rule, and the best when every device is honest; but a single device can move
/// the average anywhere, so use `FedMedian`, `FedTrimmedAvg` or `Krum` when some may not be.
/// It only needs the weighted sum, so it also works under secure aggregation.
public struct FedAvg: AggregationStrategy {
    public var name: String { "fedavg" }

    public init() {}

    /// Coordinates per chunk (64 KiB of floats): the chunk of the result and the chunk of the
    /// first update stay in the L2 cache while every other update's chunk streams past once.
    static let chunkLength = 16_384

    /// The example-weighted average of the updates.
    ///
    /// Reads the updates once: the shapes and counts are checked first, and finiteness rides on
    /// the sum, since a NaN or an infinity in any update makes its coordinate of the sum
    /// non-finite. A separate scan (`validated`) would double the memory traffic of the round.
    ///
    /// - Throws: `.noUpdates`; then, update by update in arrival order, `.duplicateContributor`,
    ///   `.lengthMismatch`, `.badExampleCount`; then `.notFinite` naming the first contributor,
    ///   in contributor order, with a NaN or an infinity.
    public func aggregate(_ updates: [ClientUpdate], current: [Float]) throws(AggregationError) -> [Float] {
        let ordered = try Self.validatedShape(updates, current: current)
        let weights = Self.normalizedWeights(exampleCounts: ordered.map(\.exampleCount))
        let average = Self.weightedAverage(ordered.map(\.parameters), normalizedWeights: weights)
        guard average.allSatisfy(\.isFinite) else {
            guard let bad = ordered.first(where: { !$0.parameters.allSatisfy(\.isFinite) }) else {
                preconditionFailure("finite updates gave a non-finite average")
            }
            throw .notFinite(contributor: bad.contributor)
        }
        return average
    }

    /// Each example count divided by the total, in Double, rounded once to Float.
    public static func normalizedWeights(exampleCounts: [Int]) -> [Float] {
        precondition(!exampleCounts.isEmpty && exampleCounts.allSatisfy { $0 > 0 })
        let total = exampleCounts.reduce(0.0) { $0 + Double($1) }
        return exampleCounts.map { Float(Double($0) / total) }
    }

    /// Σᵢ wᵢ·xᵢ for weights that sum to one, computed as x₀ + Σᵢ₌₁ wᵢ·(xᵢ − x₀) in Float.
    ///
    /// Why around x₀: identical vectors then average to exactly that vector (every difference
    /// is zero), and when the updates are close, as they are in a round, the differences are
    /// small and exact, so the rounding is smaller than that of Σ wᵢ·xᵢ. w₀ is implicit
    /// (1 − Σᵢ₌₁ wᵢ). Each coordinate is summed in vector order, chunk by chunk on all cores;
    /// the bits do not depend on the number of cores. A coordinate whose Float sum overflows
    /// although every input is finite (x₀ = −max, x₁ = +max) is recomputed in Double and
    /// clamped to the Float range; a NaN or an infinity in an input stays non-finite.
    public static func weightedAverage(_ vectors: [[Float]], normalizedWeights weights: [Float]) -> [Float] {
        weightedAverage(vectors, normalizedWeights: weights, chunkLength: chunkLength)
    }

    static func weightedAverage(_ vectors: [[Float]], normalizedWeights weights: [Float], chunkLength: Int) -> [Float] {
        precondition(!vectors.isEmpty && weights.count == vectors.count)
        let count = vectors[0].count
        precondition(vectors.allSatisfy { $0.count == count })
        return Chunked.floats(count: count, chunkLength: chunkLength) { range, out in
            accumulate(vectors, weights: weights, range: range, into: out)
            for offset in out.indices where !out[offset].isFinite {
                out[offset] = wideAverage(vectors, weights: weights, at: range.lowerBound + offset)
            }
        }
    }

    /// One chunk of the sum, vector by vector: the inner loop is a plain multiply-add over
    /// contiguous floats, which the compiler vectorises.
    static func accumulate(_ vectors: [[Float]], weights: [Float], range: Range<Int>,
                           into out: UnsafeMutableBufferPointer<Float>) {
        vectors[0].withUnsafeBufferPointer { first in
            let reference = UnsafeBufferPointer(rebasing: first[range])
            for offset in out.indices { out[offset] = reference[offset] }
            for index in 1..<vectors.count {
                let weight = weights[index]
                vectors[index].withUnsafeBufferPointer { all in
                    let values = UnsafeBufferPointer(rebasing: all[range])
                    for offset in out.indices { out[offset] += weight * (values[offset] - reference[offset]) }
                }
            }
        }
    }

    /// Σᵢ wᵢ·xᵢ at one coordinate in Double, clamped to the Float range; NaN if an input is not finite.
    static func wideAverage(_ vectors: [[Float]], weights: [Float], at index: Int) -> Float {
        var sum = 0.0
        for (vector, weight) in zip(vectors, weights) {
            let value = vector[index]
            guard value.isFinite else { return .nan }
            sum += Double(weight) * Double(value)
        }
        let bound = Double(Float.greatestFiniteMagnitude)
        return Float(min(max(sum, -bound), bound))
    }

    /// `validated` without its scan for NaN and infinity (done by `aggregate` on the sum).
    static func validatedShape(_ updates: [ClientUpdate], current: [Float]) throws(AggregationError) -> [ClientUpdate] {
        guard !updates.isEmpty else { throw .noUpdates }
        var seen = Set<String>()
        for update in updates {
            guard seen.insert(update.contributor).inserted else {
                throw .duplicateContributor(update.contributor)
            }
            guard update.parameters.count == current.count else {
                throw .lengthMismatch(contributor: update.contributor,
                                      count: update.parameters.count, expected: current.count)
            }
            guard update.exampleCount > 0 else {
                throw .badExampleCount(contributor: update.contributor, count: update.exampleCount)
            }
        }
        return updates.sorted { $0.contributor < $1.contributor }
    }
}
