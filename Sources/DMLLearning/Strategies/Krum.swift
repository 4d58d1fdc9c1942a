/// Krum and Multi-Krum (Blanchard et al. 2017, "Machine Learning with Adversaries: Byzantine
/// Tolerant Gradient Descent").
///
/// With n updates of which at most f are Byzantine, each update's score is the sum of the
/// squared L2 distances to its n − f − 2 nearest other updates:
///
///     score(i) = Σ_{j ∈ N(i)} ‖xᵢ − xⱼ‖²,   N(i) = the n − f − 2 updates closest to xᵢ
///
/// Krum (m = 1) returns the update with the lowest score; Multi-Krum returns the plain mean of
/// the m lowest. An honest update sits among n − f − 1 other honest ones, so its nearest
/// neighbours are honest and its score small, while an outlier's neighbourhood must reach past
/// the other f − 1 bad updates to honest ones far away. Requires n > 2f + 2.
///
/// The mean of the selected updates is unweighted, as in the paper: weighting by the devices'
/// own example counts would let a selected attacker claim a large count. Ties in the score go
/// to the first in contributor order. Costs O(n²·d) for the distances (on all cores), and
/// needs the individual updates (no secure aggregation).
public struct Krum: AggregationStrategy {
    /// f: the most updates that may be Byzantine.
    public let byzantineCount: Int
    /// m: how many of the lowest-scoring updates are averaged (1 is Krum).
    public let selectionCount: Int

    public var name: String { selectionCount == 1 ? "krum" : "multikrum" }

    /// - Precondition: f ≥ 0 and m ≥ 1 (a job specification checks this first).
    public init(byzantineCount: Int, selectionCount: Int = 1) {
        precondition(byzantineCount >= 0, "Krum needs f ≥ 0, got \(byzantineCount)")
        precondition(selectionCount >= 1, "Krum needs m ≥ 1, got \(selectionCount)")
        self.byzantineCount = byzantineCount
        self.selectionCount = selectionCount
    }

    /// The fewest updates a round needs: n > 2f + 2, and at least m.
    public var updatesMin: Int { max(2 * byzantineCount + 3, selectionCount) }

    /// The plain mean of the selected updates.
    ///
    /// - Throws: `validated`'s errors, then `.tooFewUpdates` unless n ≥ `updatesMin`.
    public func aggregate(_ updates: [ClientUpdate], current: [Float]) throws(AggregationError) -> [Float] {
        let chosen = try selection(updates, current: current)
        let weights = FedAvg.normalizedWeights(exampleCounts: Array(repeating: 1, count: chosen.count))
        return FedAvg.weightedAverage(chosen.map(\.parameters), normalizedWeights: weights)
    }

    /// The m updates with the lowest scores, in contributor order: who was kept this round.
    ///
    /// - Throws: `validated`'s errors, then `.tooFewUpdates` unless n ≥ `updatesMin`.
    public func selection(_ updates: [ClientUpdate], current: [Float]) throws(AggregationError) -> [ClientUpdate] {
        let ordered = try validated(updates, current: current)
        guard ordered.count >= updatesMin else { throw .tooFewUpdates(count: ordered.count, needed: updatesMin) }
        let distances = Self.squaredDistances(ordered.map(\.parameters))
        let scores = Self.scores(squaredDistances: distances, byzantineCount: byzantineCount)
        return Self.selectedIndices(scores: scores, count: selectionCount).map { ordered[$0] }
    }

    /// The symmetric matrix of squared L2 distances, accumulated in Double (pairs on all cores).
    public static func squaredDistances(_ vectors: [[Float]]) -> [[Double]] {
        let n = vectors.count
        precondition(vectors.allSatisfy { $0.count == vectors.first?.count })
        let pairs = (0..<n).flatMap { i in ((i + 1)..<n).map { j in (i, j) } }
        let flat = [Double](unsafeUninitializedCapacity: n * n) { buffer, initializedCount in
            buffer.initialize(repeating: 0)
            let shared = Chunked.SharedBuffer(buffer: buffer)
            Chunked.forEachChunk(count: pairs.count, chunkLength: 1) { range in
                for pair in range {
                    let (i, j) = pairs[pair]
                    let distance = squaredDistance(vectors[i], vectors[j])
                    shared.buffer[i * n + j] = distance
                    shared.buffer[j * n + i] = distance
                }
            }
            initializedCount = n * n
        }
        return (0..<n).map { row in Array(flat[(row * n)..<((row + 1) * n)]) }
    }

    /// ‖a − b‖² in Double. Four running sums keep the loop pipelined; their order is fixed by
    /// the code, so the bits are too.
    static func squaredDistance(_ a: [Float], _ b: [Float]) -> Double {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                var sum0 = 0.0, sum1 = 0.0, sum2 = 0.0, sum3 = 0.0
                var index = 0
                let end = x.count - x.count % 4
                while index < end {
                    let d0 = Double(x[index]) - Double(y[index])
                    let d1 = Double(x[index + 1]) - Double(y[index + 1])
                    let d2 = Double(x[index + 2]) - Double(y[index + 2])
                    let d3 = Double(x[index + 3]) - Double(y[index + 3])
                    sum0 += d0 * d0
                    sum1 += d1 * d1
                    sum2 += d2 * d2
                    sum3 += d3 * d3
                    index += 4
                }
                while index < x.count {
                    let d = Double(x[index]) - Double(y[index])
                    sum0 += d * d
                    index += 1
                }
                return (sum0 + sum1) + (sum2 + sum3)
            }
        }
    }

    /// Each update's score: the sum of its n − f − 2 smallest distances to the others.
    public static func scores(squaredDistances distances: [[Double]], byzantineCount: Int) -> [Double] {
        let neighbours = distances.count - byzantineCount - 2
        precondition(neighbours >= 1, "Krum needs n > 2f + 2")
        return distances.indices.map { i in
            var others = distances[i]
            others.remove(at: i)
            others.sort()
            return others.prefix(neighbours).reduce(0, +)
        }
    }

    /// The indices of the `count` lowest scores (ties to the lower index), in ascending order.
    public static func selectedIndices(scores: [Double], count: Int) -> [Int] {
        precondition(count >= 1 && count <= scores.count)
        let ranked = scores.indices.sorted { (scores[$0], $0) < (scores[$1], $1) }
        return ranked.prefix(count).sorted()
    }
}
