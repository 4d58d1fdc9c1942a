@testable import DMLLearning
import Foundation
import Testing

// Hand-computed cases on tiny arrays. Where Float rounding shows, the expected numbers were
// computed with NumPy in float32, operation by operation, and are written here as literals.

private func strategyUpdate(_ contributor: String, _ parameters: [Float], examples: Int = 1) -> ClientUpdate {
    ClientUpdate(contributor: contributor, parameters: parameters, exampleCount: examples)
}

@Suite struct FedAvgTests {
    @Test func theAverageIsWeightedByExampleCount() throws {
        // 1/4·[1, 2, −4] + 3/4·[3, 6, 8] = [2.5, 5, 5]
        let updates = [strategyUpdate("a", [1, 2, -4], examples: 1), strategyUpdate("b", [3, 6, 8], examples: 3)]
        #expect(try FedAvg().aggregate(updates, current: [0, 0, 0]) == [2.5, 5, 5])
    }

    @Test func weightsThatFloatCannotHoldExactlyRoundAsNumPyComputesThem() throws {
        // NumPy float32: w = float32(count / 6); d[i] = w[i]·(x[i] − x0);
        // out = x0 + ((d1 + d2) + (0 + 0)) + ((0 + 0) + (0 + 0)) — FedAvg's eight-wide tree.
        // The exact average is [0.65, 0.2083333…, 1.1666666…].
        let updates = [strategyUpdate("a", [0.1, -2.5, 3.0], examples: 1), strategyUpdate("b", [0.4, 1.5, -1.0], examples: 2),
                       strategyUpdate("c", [1.0, 0.25, 2.0], examples: 3)]
        let result = try FedAvg().aggregate(updates, current: [0, 0, 0])
        #expect(result == [0.65000004, 0.20833349, 1.1666666])
        for (value, exact) in zip(result, [0.65, 0.625 / 3, 3.5 / 3]) {
            #expect(abs(Double(value) - exact) < 1e-6)
        }
    }

    @Test func normalizedWeightsAreEachCountOverTheTotal() {
        #expect(FedAvg.normalizedWeights(exampleCounts: [1, 2, 3]) == [0.16666667, 0.33333334, 0.5])
        #expect(FedAvg.normalizedWeights(exampleCounts: [5]) == [1])
    }

    @Test func aCoordinateThatOverflowsInFloatIsRecomputedInDouble() throws {
        let max = Float.greatestFiniteMagnitude
        // −max + ½·(max − (−max)) overflows in Float; ½·(−max) + ½·max is 0.
        #expect(FedAvg.weightedAverage([[-max, 1], [max, 3]], normalizedWeights: [0.5, 0.5]) == [0, 2])
        let updates = [strategyUpdate("a", [max, -max]), strategyUpdate("b", [max, -max]), strategyUpdate("c", [max, -max])]
        #expect(try FedAvg().aggregate(updates, current: [0, 0]) == [max, -max])
    }

    @Test func aNaNIsReportedForTheFirstContributorInContributorOrder() {
        let updates = [strategyUpdate("d", [.nan, 0]), strategyUpdate("c", [1, 2]),
                       strategyUpdate("b", [3, .infinity]), strategyUpdate("a", [1, 1])]
        #expect(throws: AggregationError.notFinite(contributor: "b")) {
            try FedAvg().aggregate(updates, current: [0, 0])
        }
    }

    @Test func shapeErrorsComeBeforeTheFiniteCheck() {
        let updates = [strategyUpdate("a", [.nan, 0]), strategyUpdate("b", [1])]
        #expect(throws: AggregationError.lengthMismatch(contributor: "b", count: 1, expected: 2)) {
            try FedAvg().aggregate(updates, current: [0, 0])
        }
    }
}

@Suite struct FedProxTests {
    @Test func theProximalTermAddsMuTimesTheDistanceToTheGlobalModel() {
        // [0.5, −1, 2] + 0.25·([1, 2, 3] − [0.5, 2.5, 3]) = [0.625, −1.125, 2]
        var gradient: [Float] = [0.5, -1, 2]
        FedProx.proximalGradient(gradient: &gradient, weights: [1, 2, 3], global: [0.5, 2.5, 3], mu: 0.25)
        #expect(gradient == [0.625, -1.125, 2])
    }

    @Test func muZeroLeavesTheGradientAsItWas() {
        var gradient: [Float] = [0.5, -1, 2]
        FedProx.proximalGradient(gradient: &gradient, weights: [9, 9, 9], global: [0, 0, 0], mu: 0)
        #expect(gradient == [0.5, -1, 2])
    }

    @Test func theServerAggregatesExactlyAsFedAvg() throws {
        let updates = [strategyUpdate("a", [0.1, -2.5, 3.0], examples: 1), strategyUpdate("b", [0.4, 1.5, -1.0], examples: 2),
                       strategyUpdate("c", [1.0, 0.25, 2.0], examples: 3)]
        let prox = FedProx(mu: 0.01)
        #expect(prox.name == "fedprox" && prox.mu == 0.01)
        #expect(try prox.aggregate(updates, current: [0, 0, 0]) == FedAvg().aggregate(updates, current: [0, 0, 0]))
    }
}

@Suite struct FedMedianTests {
    let odd = [strategyUpdate("a", [1, 5, -2]), strategyUpdate("b", [3, -1, 7]), strategyUpdate("c", [2, 100, 0])]

    @Test func anOddCountTakesTheMiddleValue() throws {
        #expect(try FedMedian().aggregate(odd, current: [0, 0, 0]) == [2, 5, 0])
    }

    @Test func anEvenCountAveragesTheTwoMiddleValues() throws {
        // Columns sorted: [1, 2, 3, 10], [−1, 4, 5, 100], [−3, −2, 0, 7].
        let even = odd + [strategyUpdate("d", [10, 4, -3])]
        #expect(try FedMedian().aggregate(even, current: [0, 0, 0]) == [2.5, 4.5, -1])
    }

    @Test func exampleCountsDoNotWeighTheMedian() throws {
        let weighted = [strategyUpdate("a", [1], examples: 1_000), strategyUpdate("b", [2]), strategyUpdate("c", [3])]
        #expect(try FedMedian().aggregate(weighted, current: [0]) == [2])
    }

    @Test func theMiddleValuesOfHugeNumbersDoNotOverflow() {
        let max = Float.greatestFiniteMagnitude
        #expect(FedMedian.median([[max], [max]]) == [max])
    }
}

@Suite struct FedTrimmedAvgTests {
    // Columns sorted: [1, 2, 3, 4, 100], [−30, 10, 20, 40, 50], [−100, −5, 0, 5, 10].
    let five = [strategyUpdate("a", [1, 10, -5]), strategyUpdate("b", [2, 20, 0]), strategyUpdate("c", [3, -30, 5]),
                strategyUpdate("d", [4, 40, 10]), strategyUpdate("e", [100, 50, -100])]

    @Test func trimmingOneFromEachEndAveragesTheMiddleThree() throws {
        // [2, 3, 4] → 3; [10, 20, 40] → 70/3 = 23.333334 in float32; [−5, 0, 5] → 0.
        #expect(try FedTrimmedAvg(trimCount: 1).aggregate(five, current: [0, 0, 0]) == [3, 23.333334, 0])
    }

    @Test func aFractionTrimsItsFloorOfTheCount() throws {
        #expect(try FedTrimmedAvg(beta: 0.2).aggregate(five, current: [0, 0, 0]) == [3, 23.333334, 0])
        // ⌊0.1 · 5⌋ = 0: the plain mean, [110/5, 90/5, −90/5].
        #expect(try FedTrimmedAvg(beta: 0.1).aggregate(five, current: [0, 0, 0]) == [22, 18, -18])
        #expect(FedTrimmedAvg(beta: 0.2).trimCount(updateCount: 10) == 2)
        #expect(FedTrimmedAvg(beta: 0.2).trimCount(updateCount: 4) == 0)
        #expect(FedTrimmedAvg(beta: 0.49).trimCount(updateCount: 3) == 1)
    }

    @Test func trimmingAllButOneIsTheMedian() throws {
        #expect(try FedTrimmedAvg(trimCount: 2).aggregate(five, current: [0, 0, 0])
            == FedMedian().aggregate(five, current: [0, 0, 0]))
    }

    @Test func aCountNeedsMoreThanTwiceItsUpdates() {
        #expect(throws: AggregationError.tooFewUpdates(count: 4, needed: 5)) {
            try FedTrimmedAvg(trimCount: 2).aggregate(Array(five.prefix(4)), current: [0, 0, 0])
        }
    }
}

@Suite struct KrumTests {
    // Three close points and two far ones; f = 1, so each score sums the 5 − 1 − 2 = 2 nearest.
    let points = [strategyUpdate("a", [0, 0]), strategyUpdate("b", [1, 0]), strategyUpdate("c", [0, 1]),
                  strategyUpdate("d", [10, 10]), strategyUpdate("e", [11, 10])]

    @Test func distancesAreSquaredEuclidean() {
        let distances = Krum.squaredDistances(points.map(\.parameters))
        #expect(distances == [
            [0, 1, 1, 200, 221],
            [1, 0, 2, 181, 200],
            [1, 2, 0, 181, 202],
            [200, 181, 181, 0, 1],
            [221, 200, 202, 1, 0],
        ])
    }

    @Test func eachScoreSumsTheNearestNMinusFMinusTwoDistances() {
        let distances = Krum.squaredDistances(points.map(\.parameters))
        #expect(Krum.scores(squaredDistances: distances, byzantineCount: 1) == [2, 3, 3, 182, 201])
    }

    @Test func krumReturnsTheUpdateWithTheLowestScore() throws {
        let krum = Krum(byzantineCount: 1)
        #expect(krum.name == "krum")
        #expect(try krum.aggregate(points, current: [0, 0]) == [0, 0])
        #expect(try krum.selection(points, current: [0, 0]).map(\.contributor) == ["a"])
    }

    @Test func multiKrumAveragesTheLowestScoresUnweighted() throws {
        let multi = Krum(byzantineCount: 1, selectionCount: 3)
        #expect(multi.name == "multikrum")
        // Mean of [0, 0], [1, 0], [0, 1] with float32 weights 1/3 = 0.33333334 (example counts ignored).
        var weighted = points
        weighted[1].exampleCount = 1_000
        #expect(try multi.aggregate(weighted, current: [0, 0]) == [0.33333334, 0.33333334])
    }

    @Test func tiedScoresGoToTheFirstContributor() throws {
        // b and c both score 3; b comes first, whatever the arrival order.
        let two = Krum(byzantineCount: 1, selectionCount: 2)
        #expect(try two.selection(points.reversed(), current: [0, 0]).map(\.contributor) == ["a", "b"])
        #expect(try two.aggregate(points.reversed(), current: [0, 0]) == [0.5, 0])
        #expect(Krum.selectedIndices(scores: [3, 1, 3, 1], count: 3) == [0, 1, 3])
    }

    @Test func krumNeedsMoreThanTwoFPlusTwoUpdates() {
        #expect(throws: AggregationError.tooFewUpdates(count: 4, needed: 5)) {
            try Krum(byzantineCount: 1).aggregate(Array(points.prefix(4)), current: [0, 0])
        }
        #expect(throws: AggregationError.tooFewUpdates(count: 3, needed: 4)) {
            try Krum(byzantineCount: 0, selectionCount: 4).aggregate(Array(points.prefix(3)), current: [0, 0])
        }
        #expect(Krum(byzantineCount: 2, selectionCount: 3).updatesMin == 7)
    }
}

/// Every strategy, in a form that accepts three updates.
private let everyStrategy: [any AggregationStrategy] = [
    FedAvg(), FedProx(mu: 0.01), FedMedian(), FedTrimmedAvg(trimCount: 1), FedTrimmedAvg(beta: 0.2),
    Krum(byzantineCount: 0), Krum(byzantineCount: 0, selectionCount: 2),
]

@Suite struct StrategyRejectionTests {
    let honest = [strategyUpdate("a", [1, 2]), strategyUpdate("b", [3, 4]), strategyUpdate("c", [5, 6])]

    @Test(arguments: everyStrategy) func noUpdatesAreRejected(strategy: any AggregationStrategy) {
        #expect(throws: AggregationError.noUpdates) { try strategy.aggregate([], current: [0, 0]) }
    }

    @Test(arguments: everyStrategy) func aDuplicateContributorIsRejected(strategy: any AggregationStrategy) {
        let updates = honest + [strategyUpdate("b", [3, 4])]
        #expect(throws: AggregationError.duplicateContributor("b")) { try strategy.aggregate(updates, current: [0, 0]) }
    }

    @Test(arguments: everyStrategy) func anUpdateOfTheWrongLengthIsRejected(strategy: any AggregationStrategy) {
        let updates = honest + [strategyUpdate("d", [1, 2, 3])]
        #expect(throws: AggregationError.lengthMismatch(contributor: "d", count: 3, expected: 2)) {
            try strategy.aggregate(updates, current: [0, 0])
        }
    }

    @Test(arguments: everyStrategy) func aNaNOrAnInfinityIsRejected(strategy: any AggregationStrategy) {
        for bad: Float in [.nan, .infinity, -.infinity] {
            let updates = honest + [strategyUpdate("d", [0, bad])]
            #expect(throws: AggregationError.notFinite(contributor: "d")) { try strategy.aggregate(updates, current: [0, 0]) }
        }
    }

    @Test(arguments: everyStrategy) func aZeroExampleCountIsRejected(strategy: any AggregationStrategy) {
        let updates = honest + [strategyUpdate("d", [0, 0], examples: 0)]
        #expect(throws: AggregationError.badExampleCount(contributor: "d", count: 0)) {
            try strategy.aggregate(updates, current: [0, 0])
        }
    }

    @Test(arguments: everyStrategy) func threeHonestUpdatesAggregate(strategy: any AggregationStrategy) throws {
        let result = try strategy.aggregate(honest, current: [0, 0])
        #expect(result.count == 2 && result.allSatisfy { (1...6).contains($0) })
    }
}

@Suite struct StrategySpecTests {
    private func decode(_ json: String) throws -> StrategySpec {
        try JSONDecoder().decode(StrategySpec.self, from: Data(json.utf8))
    }

    /// The message of the decoding error `json` gives, or nil if it decodes.
    private func rejection(_ json: String) -> String? {
        do {
            _ = try decode(json)
            return nil
        } catch DecodingError.dataCorrupted(let context), DecodingError.keyNotFound(_, let context),
                DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            return context.debugDescription
        } catch {
            return "\(error)"
        }
    }

    @Test func everyNameDecodesToItsStrategy() throws {
        let cases: [(String, StrategySpec)] = [
            (#"{"name": "fedavg"}"#, .fedAvg),
            (#"{"name": "fedprox", "mu": 0.01}"#, .fedProx(mu: 0.01)),
            (#"{"name": "fedmedian"}"#, .fedMedian),
            (#"{"name": "fedtrimmedavg", "beta": 0.2}"#, .fedTrimmedAvg(.fraction(0.2))),
            (#"{"name": "fedtrimmedavg", "trim": 2}"#, .fedTrimmedAvg(.count(2))),
            (#"{"name": "krum", "byzantine": 2}"#, .krum(byzantine: 2)),
            (#"{"name": "multikrum", "byzantine": 1, "selection": 4}"#, .multiKrum(byzantine: 1, selection: 4)),
        ]
        for (json, expected) in cases {
            let spec = try decode(json)
            #expect(spec == expected, "\(json)")
            #expect(spec.makeStrategy().name == spec.name)
            let encoded = try JSONEncoder().encode(spec)
            #expect(try JSONDecoder().decode(StrategySpec.self, from: encoded) == spec, "\(json) round trip")
        }
        #expect(StrategySpec.names.map(\.name) == ["fedavg", "fedprox", "fedmedian", "fedtrimmedavg", "krum", "multikrum"])
    }

    @Test func specificationsMakeStrategiesWithTheirParameters() throws {
        let krum = try #require(StrategySpec.multiKrum(byzantine: 2, selection: 5).makeStrategy() as? Krum)
        #expect(krum.byzantineCount == 2 && krum.selectionCount == 5)
        let prox = try #require(StrategySpec.fedProx(mu: 0.5).makeStrategy() as? FedProx)
        #expect(prox.mu == 0.5)
        let trimmed = try #require(StrategySpec.fedTrimmedAvg(.count(3)).makeStrategy() as? FedTrimmedAvg)
        #expect(trimmed.trim == .count(3))
    }

    @Test func badSpecificationsAreRejectedWithAMessageSayingWhatToWrite() {
        let cases: [(json: String, says: String)] = [
            (#"{"name": "fedsgd"}"#, "the strategies are fedavg, fedprox, fedmedian, fedtrimmedavg, krum, multikrum"),
            (#"{"byzantine": 2}"#, "name"),
            (#"{"name": "krum"}"#, "krum needs \"byzantine\""),
            (#"{"name": "multikrum", "byzantine": 1}"#, "multikrum needs \"selection\""),
            (#"{"name": "fedprox"}"#, "fedprox needs \"mu\""),
            (#"{"name": "fedavg", "mu": 0.1}"#, "fedavg takes no parameters, not \"mu\""),
            (#"{"name": "krum", "byzantine": 1, "selection": 3}"#, "krum takes only byzantine, not \"selection\""),
            (#"{"name": "fedtrimmedavg"}"#, "exactly one of \"beta\""),
            (#"{"name": "fedtrimmedavg", "beta": 0.2, "trim": 1}"#, "exactly one of \"beta\""),
            (#"{"name": "fedtrimmedavg", "beta": 0.5}"#, "beta (the fraction trimmed from each end) must be in [0, 0.5)"),
            (#"{"name": "fedtrimmedavg", "trim": -1}"#, "trim (the count trimmed from each end) must be in 0...1000"),
            (#"{"name": "fedprox", "mu": -0.1}"#, "mu must be in [0, 100.0]"),
            (#"{"name": "krum", "byzantine": -1}"#, "byzantine (the most bad updates tolerated) must be in 0...1000"),
            (#"{"name": "multikrum", "byzantine": 1, "selection": 1}"#, "selecting 1 is krum"),
        ]
        for (json, says) in cases {
            let message = rejection(json)
            #expect(message?.contains(says) == true, "\(json): \(message ?? "accepted")")
        }
        #expect(rejection(#"{"name": "krum", "byzantine": "two"}"#) != nil)
    }

    @Test func problemsAreReportedForSpecificationsBuiltInCode() {
        #expect(StrategySpec.fedAvg.problem == nil)
        #expect(StrategySpec.krum(byzantine: 3).problem == nil)
        #expect(StrategySpec.fedProx(mu: .nan).problem != nil)
        #expect(StrategySpec.fedTrimmedAvg(.fraction(-0.1)).problem != nil)
        #expect(StrategySpec.multiKrum(byzantine: 1_001, selection: 3).problem?.contains("byzantine") == true)
    }

    @Test func onlyTheAveragingStrategiesWorkUnderSecureAggregation() {
        #expect(StrategySpec.fedAvg.supportsSecureAggregation && StrategySpec.fedProx(mu: 0.1).supportsSecureAggregation)
        #expect(!StrategySpec.fedMedian.supportsSecureAggregation && !StrategySpec.krum(byzantine: 1).supportsSecureAggregation)
    }

    @Test func eachSpecificationSaysHowManyUpdatesItNeeds() {
        #expect(StrategySpec.fedAvg.updatesMin == 1)
        #expect(StrategySpec.fedTrimmedAvg(.fraction(0.4)).updatesMin == 1)
        #expect(StrategySpec.fedTrimmedAvg(.count(2)).updatesMin == 5)
        #expect(StrategySpec.krum(byzantine: 2).updatesMin == 7)
        #expect(StrategySpec.multiKrum(byzantine: 1, selection: 8).updatesMin == 8)
    }
}
