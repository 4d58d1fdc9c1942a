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
        let (average, finite) = Self.checkedAverage(ordered.map(\.parameters), normalizedWeights: weights, chunkLength: Self.chunkLength)
        guard finite else {
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
        checkedAverage(vectors, normalizedWeights: weights, chunkLength: chunkLength).average
    }

    /// The average, and whether every coordinate of it is finite (found in the same pass, while
    /// each chunk is still in cache, rather than by reading the result again).
    static func checkedAverage(_ vectors: [[Float]], normalizedWeights weights: [Float],
                               chunkLength: Int) -> (average: [Float], finite: Bool) {
        precondition(!vectors.isEmpty && weights.count == vectors.count)
        let count = vectors[0].count
        precondition(vectors.allSatisfy { $0.count == count })
        let chunks = (count + chunkLength - 1) / chunkLength
        var finiteChunks = [Bool](repeating: true, count: max(chunks, 1))
        let average = finiteChunks.withUnsafeMutableBufferPointer { flags in
            let shared = Chunked.SharedBuffer(buffer: flags)
            return withBaseAddresses(vectors[...]) { pointers in
                let addresses = Pointers(values: pointers)
                return Chunked.floats(count: count, chunkLength: chunkLength) { range, out in
                    accumulate(addresses.values, weights: weights, range: range, into: out)
                    for offset in out.indices where !out[offset].isFinite {
                        out[offset] = wideAverage(vectors, weights: weights, at: range.lowerBound + offset)
                        if !out[offset].isFinite { shared.buffer[range.lowerBound / chunkLength] = false }
                    }
                }
            }
        }
        return (average, !finiteChunks.contains(false))
    }

    /// Every vector's first element, valid for the duration of `body` (the arrays are not
    /// mutated meanwhile), so the hot loop indexes plain pointers.
    static func withBaseAddresses<R>(_ vectors: ArraySlice<[Float]>, _ collected: [UnsafePointer<Float>] = [],
                                     _ body: ([UnsafePointer<Float>]) -> R) -> R {
        guard let first = vectors.first else { return body(collected) }
        return first.withUnsafeBufferPointer { buffer in
            withBaseAddresses(vectors.dropFirst(), collected + [buffer.baseAddress!], body)
        }
    }

    /// Read-only pointers shared by the chunk workers (each reads, none writes).
    struct Pointers: @unchecked Sendable {
        let values: [UnsafePointer<Float>]
    }

    /// out = x₀ + Σᵢ wᵢ·(xᵢ − x₀) over one chunk, eight updates per pass: each pass reads and
    /// writes the chunk's accumulator once for eight updates instead of once per update, which
    /// keeps the loop bound by memory rather than by cache traffic. Groups are (1–8), (9–16), …
    /// in contributor order, each summed as a fixed tree — so the bits never depend on chunking
    /// or threads. A short last group is padded with x₀ at weight 0, which adds exactly 0.
    static func accumulate(_ vectors: [UnsafePointer<Float>], weights: [Float], range: Range<Int>,
                           into out: UnsafeMutableBufferPointer<Float>) {
        let start = range.lowerBound
        let r = vectors[0] + start
        guard vectors.count > 1 else {
            for offset in out.indices { out[offset] = r[offset] }
            return
        }
        var index = 1
        while index < vectors.count {
            func member(_ k: Int) -> (UnsafePointer<Float>, Float) {
                index + k < vectors.count ? (vectors[index + k] + start, weights[index + k]) : (r, 0)
            }
            let (a, wa) = member(0), (b, wb) = member(1), (c, wc) = member(2), (d, wd) = member(3)
            let (e, we) = member(4), (f, wf) = member(5), (g, wg) = member(6), (h, wh) = member(7)
            @inline(__always) func group(_ offset: Int) -> Float {
                let x = r[offset]
                let low = (wa * (a[offset] - x) + wb * (b[offset] - x)) + (wc * (c[offset] - x) + wd * (d[offset] - x))
                let high = (we * (e[offset] - x) + wf * (f[offset] - x)) + (wg * (g[offset] - x) + wh * (h[offset] - x))
                return low + high
            }
            // The first group starts from x₀ itself (the same bits as copying x₀, then adding).
            if index == 1 {
                for offset in out.indices { out[offset] = r[offset] + group(offset) }
            } else {
                for offset in out.indices { out[offset] += group(offset) }
            }
            index += 8
        }
    }

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
