import DMLLearning
import Testing

/// The issue's accuracy targets on real data, through the same device and server code as a
/// real job (`DigitsExperiments`; `dml fl experiments` prints the full curves).
@Suite struct FederatedDigitsTests {
    static let experiments = DigitsExperiments(all: Digits.all)

    @Test func everyExperimentsPlanIsValid() throws {
        for scenario in try Self.experiments.scenarios() {
            #expect(scenario.plan.problem == nil, "\(scenario.name): \(scenario.plan.problem ?? "")")
        }
    }

    @Test func fedAvgOnNonIIDDevicesReaches94PercentWithin30Rounds() throws {
        let result = try Self.experiments.run(Self.experiments.plan())
        #expect(result.rounds.count == 30)
        #expect(result.finalAccuracy >= 0.94, "final \(result.finalAccuracy)")
    }

    @Test func secureAggregationStaysWithinHalfAPointAlsoWithDropouts() throws {
        let experiments = Self.experiments
        let plain = try experiments.run(experiments.plan()).finalAccuracy
        let secure = try experiments.run(experiments.plan(secure: true))
        #expect(abs(secure.finalAccuracy - plain) <= 0.005, "plain \(plain), secure \(secure.finalAccuracy)")
        let dropping = try experiments.run(experiments.plan(secure: true), dropout: 0.2)
        #expect(dropping.rounds.allSatisfy { $0.dropouts == 2 && $0.devices == 8 })
        #expect(abs(dropping.finalAccuracy - plain) <= 0.005, "plain \(plain), with dropouts \(dropping.finalAccuracy)")
    }

    @Test func recordLevelDPAtEpsilon8KeepsEightyEightPercent() throws {
        let plan = try Self.experiments.privatePlan()
        let guarantee = try #require(try plan.privacyGuarantee(delta: DigitsExperiments.delta))
        #expect(guarantee.epsilon <= 8 && guarantee.level == .record)
        let result = try Self.experiments.run(plan)
        #expect(result.finalAccuracy >= 0.88, "final \(result.finalAccuracy) at ε = \(guarantee.epsilon)")
    }

    @Test func robustAggregationResistsScaledSignFlipsWhereFedAvgCollapses() throws {
        let experiments = Self.experiments
        let fedAvg = try experiments.run(experiments.plan(), nonIID: false, attack: .scaledSignFlip)
        let trimmed = try experiments.run(experiments.plan(strategy: .fedTrimmedAvg(.count(2))), nonIID: false, attack: .scaledSignFlip)
        #expect(fedAvg.finalAccuracy < 0.5, "FedAvg under attack: \(fedAvg.finalAccuracy)")
        #expect(trimmed.finalAccuracy >= 0.90, "trimmed mean under attack: \(trimmed.finalAccuracy)")
    }

    @Test func robustAggregationResistsFlippedLabels() throws {
        let experiments = Self.experiments
        let median = try experiments.run(experiments.plan(strategy: .fedMedian), nonIID: false, attack: .labelFlip)
        #expect(median.finalAccuracy >= 0.90, "median under label flipping: \(median.finalAccuracy)")
    }
}
