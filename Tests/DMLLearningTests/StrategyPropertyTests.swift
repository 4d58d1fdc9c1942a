@testable import DMLLearning
import Testing

// Aggregation laws checked on many seeded random rounds. A failure names its seed; rerun that
// seed alone to reproduce it.

/// SplitMix64 (Steele, Lea and Flood 2014): a tiny seeded generator, here so that these tests
/// depend on no other file.
private struct StrategyTestGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Contributor names that sort like their numbers: "d100", "d101", …
private func strategyContributor(_ index: Int) -> String { "d\(100 + index)" }

private func strategyRandomVector(count: Int, in range: ClosedRange<Float>,
                                  using generator: inout StrategyTestGenerator) -> [Float] {
    (0..<count).map { _ in Float.random(in: range, using: &generator) }
}

private func strategyRandomUpdates(count: Int, length: Int, using generator: inout StrategyTestGenerator) -> [ClientUpdate] {
    (0..<count).map { index in
        ClientUpdate(contributor: strategyContributor(index),
                     parameters: strategyRandomVector(count: length, in: -10...10, using: &generator),
                     exampleCount: Int.random(in: 1...500, using: &generator))
    }
}

@Suite struct StrategyPropertyTests {
    @Test(arguments: 1...20) func identicalUpdatesAggregateToThatUpdate(seed: UInt64) throws {
        var generator = StrategyTestGenerator(seed: seed)
        let count = Int.random(in: 3...12, using: &generator)
        let vector = strategyRandomVector(count: Int.random(in: 1...40, using: &generator), in: -1e6...1e6, using: &generator)
        let updates = (0..<count).map { index in
            ClientUpdate(contributor: strategyContributor(index), parameters: vector,
                         exampleCount: Int.random(in: 1...1_000, using: &generator))
        }
        let strategies: [any AggregationStrategy] = [
            FedAvg(), FedProx(mu: 0.1), FedMedian(), FedTrimmedAvg(beta: 0.2), FedTrimmedAvg(trimCount: (count - 1) / 2),
            Krum(byzantineCount: (count - 3) / 2), Krum(byzantineCount: 0, selectionCount: count),
        ]
        for strategy in strategies {
            let result = try strategy.aggregate(updates, current: vector.map { $0 + 1 })
            #expect(result == vector, "seed \(seed): \(strategy.name)")
        }
    }

    @Test(arguments: 1...20) func theOrderOfTheUpdatesDoesNotChangeABit(seed: UInt64) throws {
        var generator = StrategyTestGenerator(seed: seed)
        let updates = strategyRandomUpdates(count: 9, length: 37, using: &generator)
        let strategies: [any AggregationStrategy] = [
            FedAvg(), FedProx(mu: 0.1), FedMedian(), FedTrimmedAvg(trimCount: 2), FedTrimmedAvg(beta: 0.2),
            Krum(byzantineCount: 2), Krum(byzantineCount: 2, selectionCount: 4),
        ]
        let shuffled = updates.shuffled(using: &generator)
        for strategy in strategies {
            let inOrder = try strategy.aggregate(updates, current: updates[0].parameters)
            let outOfOrder = try strategy.aggregate(shuffled, current: updates[0].parameters)
            #expect(inOrder.map(\.bitPattern) == outOfOrder.map(\.bitPattern), "seed \(seed): \(strategy.name)")
        }
    }

    @Test(arguments: 1...5) func fedAvgMatchesANaiveSumWhateverTheChunkLength(seed: UInt64) {
        var generator = StrategyTestGenerator(seed: seed)
        let length = 40_000 // three chunks of 16 384: the concurrent path
        let vectors = (0..<5).map { _ in strategyRandomVector(count: length, in: -3...3, using: &generator) }
        let counts = (0..<5).map { _ in Int.random(in: 1...100, using: &generator) }
        let weights = FedAvg.normalizedWeights(exampleCounts: counts)
        // The reference: x₀ + Σ wᵢ·(xᵢ − x₀), one coordinate at a time, in contributor order,
        // eight updates per step as a fixed tree (a short last group adds zeros).
        var reference = vectors[0]
        for start in stride(from: 1, to: vectors.count, by: 8) {
            for offset in reference.indices {
                let r = vectors[0][offset]
                func term(_ index: Int) -> Float { index < vectors.count ? weights[index] * (vectors[index][offset] - r) : 0 }
                let low = (term(start) + term(start + 1)) + (term(start + 2) + term(start + 3))
                let high = (term(start + 4) + term(start + 5)) + (term(start + 6) + term(start + 7))
                reference[offset] += low + high
            }
        }
        for chunkLength in [FedAvg.chunkLength, 1_000, 7, length] {
            let result = FedAvg.weightedAverage(vectors, normalizedWeights: weights, chunkLength: chunkLength)
            #expect(result.map(\.bitPattern) == reference.map(\.bitPattern), "seed \(seed), chunks of \(chunkLength)")
        }
        // And close to the exact average, Σ countᵢ·xᵢ / Σ countᵢ.
        let total = Double(counts.reduce(0, +))
        for offset in stride(from: 0, to: length, by: 997) {
            let exact = zip(vectors, counts).reduce(0.0) { $0 + Double($1.1) * Double($1.0[offset]) } / total
            #expect(abs(Double(reference[offset]) - exact) < 1e-5, "seed \(seed), coordinate \(offset)")
        }
    }

    @Test(arguments: 1...5) func medianAndTrimmedMeanMatchANaiveSortAcrossChunks(seed: UInt64) {
        var generator = StrategyTestGenerator(seed: seed)
        let count = Int.random(in: 5...10, using: &generator)
        let vectors = (0..<count).map { _ in strategyRandomVector(count: 700, in: -5...5, using: &generator) }
        let median = FedMedian.median(vectors)
        let trimmed = FedTrimmedAvg.trimmedMean(vectors, trimCount: 2)
        for offset in 0..<700 {
            let column = vectors.map { $0[offset] }.sorted()
            let middle = column.count / 2
            let expectedMedian = column.count % 2 == 1
                ? column[middle] : Float((Double(column[middle - 1]) + Double(column[middle])) / 2)
            let kept = column[2..<(column.count - 2)]
            let expectedTrimmed = Float(kept.reduce(0.0) { $0 + Double($1) } / Double(kept.count))
            #expect(median[offset] == expectedMedian, "seed \(seed), coordinate \(offset)")
            #expect(trimmed[offset] == expectedTrimmed, "seed \(seed), coordinate \(offset)")
        }
    }

    /// Honest updates in [−1, 1] and `outliers` updates of ±1e30, shuffled together.
    private func poisonedRound(honest: Int, outliers: Int, length: Int,
                               using generator: inout StrategyTestGenerator) -> (updates: [ClientUpdate], honest: [[Float]]) {
        let good = (0..<honest).map { _ in strategyRandomVector(count: length, in: -1...1, using: &generator) }
        let bad = (0..<outliers).map { _ in (0..<length).map { _ in Bool.random(using: &generator) ? Float(1e30) : -1e30 } }
        let names = Array(0..<(honest + outliers)).shuffled(using: &generator)
        let updates = zip(names, good + bad).map {
            ClientUpdate(contributor: strategyContributor($0), parameters: $1, exampleCount: 1)
        }
        return (updates, good)
    }

    /// Whether every coordinate of `result` lies between the honest minimum and maximum.
    private func withinHonestRange(_ result: [Float], _ honest: [[Float]], slack: Float = 0) -> Bool {
        result.indices.allSatisfy { offset in
            let column = honest.map { $0[offset] }
            return column.min()! - slack <= result[offset] && result[offset] <= column.max()! + slack
        }
    }

    @Test(arguments: 1...30) func theMedianStaysAmongTheHonestWhileFewerThanHalfAreOutliers(seed: UInt64) throws {
        var generator = StrategyTestGenerator(seed: seed)
        let honest = Int.random(in: 2...9, using: &generator)
        let outliers = Int.random(in: 0..<honest, using: &generator)
        let poisoned = poisonedRound(honest: honest, outliers: outliers, length: 16, using: &generator)
        let result = try FedMedian().aggregate(poisoned.updates, current: [Float](repeating: 0, count: 16))
        #expect(withinHonestRange(result, poisoned.honest), "seed \(seed): \(honest) honest, \(outliers) outliers")
    }

    @Test(arguments: 1...30) func theTrimmedMeanStaysAmongTheHonestWithAtMostKOutliers(seed: UInt64) throws {
        var generator = StrategyTestGenerator(seed: seed)
        let trim = Int.random(in: 1...3, using: &generator)
        let outliers = Int.random(in: 0...trim, using: &generator)
        let honest = 2 * trim + 1 - outliers + Int.random(in: 0...3, using: &generator)
        let poisoned = poisonedRound(honest: honest, outliers: outliers, length: 16, using: &generator)
        let result = try FedTrimmedAvg(trimCount: trim).aggregate(poisoned.updates, current: [Float](repeating: 0, count: 16))
        #expect(withinHonestRange(result, poisoned.honest), "seed \(seed): k = \(trim), \(honest) honest, \(outliers) outliers")
    }

    @Test(arguments: 1...30) func krumNeverSelectsAFarOutlier(seed: UInt64) throws {
        var generator = StrategyTestGenerator(seed: seed)
        let byzantine = Int.random(in: 0...3, using: &generator)
        let honest = byzantine + 3 + Int.random(in: 0...3, using: &generator) // n = honest + f > 2f + 2
        let length = 8
        let center = strategyRandomVector(count: length, in: -1...1, using: &generator)
        let good = (0..<honest).map { _ in center.map { $0 + Float.random(in: -0.1...0.1, using: &generator) } }
        let bad = (0..<byzantine).map { _ in center.map { $0 + 100 + Float.random(in: -50...50, using: &generator) } }
        let names = Array(0..<(honest + byzantine)).shuffled(using: &generator)
        let updates = zip(names, good + bad).map {
            ClientUpdate(contributor: strategyContributor($0), parameters: $1, exampleCount: 1)
        }
        let honestNames = Set(names.prefix(honest).map(strategyContributor))
        for selection in 1...honest {
            let krum = Krum(byzantineCount: byzantine, selectionCount: selection)
            let chosen = try krum.selection(updates, current: center)
            #expect(chosen.count == selection && chosen.allSatisfy { honestNames.contains($0.contributor) },
                    "seed \(seed): f = \(byzantine), m = \(selection)")
            let result = try krum.aggregate(updates, current: center)
            #expect(withinHonestRange(result, good, slack: 1e-6), "seed \(seed): f = \(byzantine), m = \(selection)")
        }
    }
}
