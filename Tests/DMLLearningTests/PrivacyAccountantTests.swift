@testable import DMLLearning
import Foundation
import Testing

/// The RDP accountant checked against published numbers.
///
/// Two sources: TensorFlow Privacy's own published values (cited at each test), and Google's
/// `dp-accounting` 0.6.0 (the accountant TF Privacy now calls), whose numbers
/// `scripts/reference/rdp_reference.py` prints; its docstring quotes the output these tests use.
@Suite struct PrivacyAccountantTests {
    /// The RDP of one step at one order.
    struct OneStep: Sendable, CustomTestStringConvertible {
        var samplingRate: Double
        var noiseMultiplier: Double
        var order: Double
        var rdp: Double
        var testDescription: String { "q=\(samplingRate) sigma=\(noiseMultiplier) order=\(order)" }
    }

    /// An (epsilon, order) after `steps` steps.
    struct Composition: Sendable, CustomTestStringConvertible {
        var name: String
        var samplingRate: Double
        var noiseMultiplier: Double
        var steps: Int
        var delta: Double
        var epsilon: Double
        var order: Double
        var testDescription: String { name }
    }

    /// A row of TF Privacy's MNIST tutorial table.
    struct TutorialRow: Sendable, CustomTestStringConvertible {
        var epochs: Int
        var sigma: Double
        var published: Double
        var testDescription: String { "sigma=\(sigma) epochs=\(epochs)" }
    }

    /// A noise calibration and the sigma dp-accounting's bisection finds for it (delta = 1e-5).
    struct Calibration: Sendable, CustomTestStringConvertible {
        var target: Double
        var samplingRate: Double
        var steps: Int
        var reference: Double
        var testDescription: String { "epsilon=\(target) q=\(samplingRate) steps=\(steps)" }
    }

    // From rdp_reference.py, "one step" block (dp-accounting's
    // _compute_rdp_poisson_subsampled_gaussian).
    static let oneStepReferences: [OneStep] = [
        OneStep(samplingRate: 1, noiseMultiplier: 5, order: 1.25, rdp: 0.025),
        OneStep(samplingRate: 1, noiseMultiplier: 5, order: 256, rdp: 5.12),
        OneStep(samplingRate: 0.01, noiseMultiplier: 1, order: 1.25, rdp: 0.00011183742349322766),
        OneStep(samplingRate: 0.01, noiseMultiplier: 1, order: 2.5, rdp: 0.00021777202424064354),
        OneStep(samplingRate: 0.01, noiseMultiplier: 1, order: 8, rdp: 0.000893643907606041),
        OneStep(samplingRate: 0.01, noiseMultiplier: 1, order: 32, rdp: 11.246275937048072),
        OneStep(samplingRate: 0.01, noiseMultiplier: 1, order: 256, rdp: 123.37677032308648),
        OneStep(samplingRate: 0.02, noiseMultiplier: 0.7, order: 1.25, rdp: 0.0017600802286627374),
        OneStep(samplingRate: 0.02, noiseMultiplier: 0.7, order: 2.5, rdp: 0.003900133190659191),
        OneStep(samplingRate: 0.02, noiseMultiplier: 0.7, order: 8, rdp: 3.6924168890239115),
        OneStep(samplingRate: 0.02, noiseMultiplier: 0.7, order: 32, rdp: 28.614843928563975),
        OneStep(samplingRate: 0.02, noiseMultiplier: 0.7, order: 256, rdp: 257.2971255238023),
        OneStep(samplingRate: 0.001, noiseMultiplier: 2, order: 1.25, rdp: 1.7813725841122458e-07),
        OneStep(samplingRate: 0.001, noiseMultiplier: 2, order: 2.5, rdp: 3.5508708383975417e-07),
        OneStep(samplingRate: 0.001, noiseMultiplier: 2, order: 8, rdp: 1.138223717715796e-06),
        OneStep(samplingRate: 0.001, noiseMultiplier: 2, order: 32, rdp: 4.587314898547158e-06),
        OneStep(samplingRate: 0.001, noiseMultiplier: 2, order: 256, rdp: 25.0651554846297),
    ]

    // From rdp_reference.py, "epsilon after composition" block (dp-accounting's RdpAccountant,
    // PoissonSampledDpEvent(q, GaussianDpEvent(sigma)) composed `steps` times, get_epsilon).
    static let compositionReferences: [Composition] = [
        Composition(name: "full batch, q = 1", samplingRate: 1, noiseMultiplier: 5, steps: 50,
                    delta: 1e-5, epsilon: 7.087861628831665, order: 4),
        Composition(name: "typical", samplingRate: 0.01, noiseMultiplier: 1, steps: 1000,
                    delta: 1e-5, epsilon: 2.1077530754515745, order: 8),
        Composition(name: "a fractional order is best", samplingRate: 0.02, noiseMultiplier: 0.7,
                    steps: 2000, delta: 1e-5, epsilon: 14.353863912949773, order: 2.5),
        Composition(name: "small q, small epsilon", samplingRate: 0.001, noiseMultiplier: 2,
                    steps: 10000, delta: 1e-5, epsilon: 0.20127230462931398, order: 54),
        // TF Privacy's MNIST tutorial: N = 60000, batch 256, sigma 1.1, 60 epochs,
        // steps = ceil(60 * 60000 / 256) as compute_dp_sgd_privacy counts them.
        Composition(name: "MNIST tutorial", samplingRate: 256.0 / 60000, noiseMultiplier: 1.1,
                    steps: 14063, delta: 1e-5, epsilon: 2.5970795196566616, order: 8),
    ]

    // TensorFlow Privacy, tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py,
    // test_compute_dp_sgd_privacy: (n, batch_size, noise_multiplier, epochs, delta) ->
    // (expected_eps, expected_order), with q = batch / n and steps = ceil(epochs * n / batch).
    // Test2 is the large-epsilon case, won by the fractional order 1.25.
    static let tensorFlowPrivacyPublished: [Composition] = [
        Composition(name: "TF Privacy Test0", samplingRate: 150.0 / 60000, noiseMultiplier: 1.3,
                    steps: 6000, delta: 1e-5, epsilon: 0.7242234026109595, order: 19),
        Composition(name: "TF Privacy Test1", samplingRate: 100.0 / 100000, noiseMultiplier: 1.0,
                    steps: 30000, delta: 1e-7, epsilon: 1.4154988495444842, order: 13),
        Composition(name: "TF Privacy Test2", samplingRate: 1024.0 / 100_000_000, noiseMultiplier: 0.1,
                    steps: 976_563, delta: 1e-7, epsilon: 5907982.3113978775, order: 1.25),
    ]

    @Test(arguments: PrivacyAccountantTests.oneStepReferences)
    func oneStepRDPMatchesDPAccountingAtEachOrder(_ reference: OneStep) throws {
        var accountant = try RDPAccountant(orders: [reference.order])
        try accountant.compose(noiseMultiplier: reference.noiseMultiplier, samplingRate: reference.samplingRate)
        #expect(relativeError(accountant.rdp[0], reference.rdp) < 1e-6)
    }

    @Test(arguments: PrivacyAccountantTests.compositionReferences + PrivacyAccountantTests.tensorFlowPrivacyPublished)
    func epsilonMatchesTheReferenceAndPicksTheSameOrder(_ reference: Composition) throws {
        var accountant = RDPAccountant()
        try accountant.compose(noiseMultiplier: reference.noiseMultiplier, samplingRate: reference.samplingRate,
                               steps: reference.steps)
        let (epsilon, order) = try accountant.epsilon(delta: reference.delta)
        #expect(relativeError(epsilon, reference.epsilon) < 1e-6)
        #expect(order == reference.order)
    }

    /// TF Privacy's tutorials/README.md ("Expected Output" and "Select Parameters") publishes
    /// epsilon at delta = 1e-5 for its MNIST tutorial (q = 256/60000): 1.03 after 1 epoch and
    /// 1.11 after 2 at sigma 1.1, 3.01 after 60 ("eps = 3.01" from compute_dp_sgd_privacy.py
    /// --N=60000 --batch_size=256 --noise_multiplier=1.1 --epochs=60 --delta=1e-5), 1.19 for
    /// sigma 1.3 over 15 epochs and 7.10 for sigma 0.7 over 45. Those predate the improved
    /// conversion: they used Mironov's rdp - log(delta)/(alpha - 1) over the tutorial's orders
    /// 1.1, 1.2, ..., 10.9, 12, ..., 63 with steps = epochs * 60000 // 256.
    @Test(arguments: [
        TutorialRow(epochs: 1, sigma: 1.1, published: 1.03), TutorialRow(epochs: 2, sigma: 1.1, published: 1.11),
        TutorialRow(epochs: 60, sigma: 1.1, published: 3.01), TutorialRow(epochs: 15, sigma: 1.3, published: 1.19),
        TutorialRow(epochs: 45, sigma: 0.7, published: 7.10),
    ])
    func mnistTutorialPublishedEpsilonsAreReproduced(_ row: TutorialRow) throws {
        let tutorialOrders: [Double] = (1...99).map { 1 + Double($0) / 10 } + (12...63).map { Double($0) }
        var accountant = try RDPAccountant(orders: tutorialOrders)
        try accountant.compose(noiseMultiplier: row.sigma, samplingRate: 256.0 / 60000,
                               steps: row.epochs * 60000 / 256)
        #expect(abs(accountant.epsilonClassic(delta: 1e-5) - row.published) < 0.005)
        // The improved conversion only ever lowers the published figure.
        #expect(try accountant.epsilon(delta: 1e-5).epsilon < row.published)
    }

    @Test func fullBatchRDPIsOrderOverTwiceSigmaSquared() throws {
        var accountant = RDPAccountant()
        try accountant.compose(noiseMultiplier: 2, samplingRate: 1, steps: 3)
        for (order, value) in zip(accountant.orders, accountant.rdp) {
            #expect(value == 3 * (order / 8))
        }
    }

    @Test func noSamplingAndNoStepsCostNothing() throws {
        var accountant = RDPAccountant()
        #expect(try accountant.epsilon(delta: 1e-5).epsilon == 0)
        try accountant.compose(noiseMultiplier: 0.5, samplingRate: 0, steps: 1000)
        try accountant.compose(noiseMultiplier: 0.5, samplingRate: 0.5, steps: 0)
        #expect(accountant.rdp.allSatisfy { $0 == 0 })
        #expect(try accountant.epsilon(delta: 1e-5).epsilon == 0)
    }

    @Test func composingInPartsEqualsComposingAtOnce() throws {
        var inParts = RDPAccountant()
        try inParts.compose(noiseMultiplier: 1.1, samplingRate: 0.01, steps: 300)
        try inParts.compose(noiseMultiplier: 1.1, samplingRate: 0.01, steps: 700)
        var atOnce = RDPAccountant()
        try atOnce.compose(noiseMultiplier: 1.1, samplingRate: 0.01, steps: 1000)
        for (part, whole) in zip(inParts.rdp, atOnce.rdp) {
            #expect(relativeError(part, whole) < 1e-12)
        }
    }

    @Test func moreStepsNeverLowerEpsilon() throws {
        var previous = 0.0
        for steps in [1, 10, 100, 1000, 10000] {
            var accountant = RDPAccountant()
            try accountant.compose(noiseMultiplier: 1.0, samplingRate: 0.01, steps: steps)
            let epsilon = try accountant.epsilon(delta: 1e-5).epsilon
            #expect(epsilon >= previous)
            previous = epsilon
        }
    }

    @Test func invalidCompositionsAreRejectedAndChangeNothing() throws {
        var accountant = RDPAccountant()
        try accountant.compose(noiseMultiplier: 1, samplingRate: 0.01, steps: 10)
        let rateAbove = rejection(of: accountant) { try $0.compose(noiseMultiplier: 1, samplingRate: 1.5) }
        #expect(rateAbove == PrivacyAccountingError.samplingRateOutOfRange(1.5))
        let rateBelow = rejection(of: accountant) { try $0.compose(noiseMultiplier: 1, samplingRate: -0.1) }
        #expect(rateBelow == PrivacyAccountingError.samplingRateOutOfRange(-0.1))
        let noNoise = rejection(of: accountant) { try $0.compose(noiseMultiplier: 0, samplingRate: 0.1) }
        #expect(noNoise == PrivacyAccountingError.noiseMultiplierNotPositive(0))
        let negativeNoise = rejection(of: accountant) { try $0.compose(noiseMultiplier: -1, samplingRate: 0.1) }
        #expect(negativeNoise == PrivacyAccountingError.noiseMultiplierNotPositive(-1))
        let infiniteNoise = rejection(of: accountant) { try $0.compose(noiseMultiplier: .infinity, samplingRate: 0.1) }
        #expect(infiniteNoise == PrivacyAccountingError.noiseMultiplierNotPositive(.infinity))
        let negativeSteps = rejection(of: accountant) { try $0.compose(noiseMultiplier: 1, samplingRate: 0.1, steps: -1) }
        #expect(negativeSteps == PrivacyAccountingError.stepsOutOfRange(-1))
        // NaN is never equal to itself, so the payload is checked with isNaN.
        let nanRate = rejection(of: accountant) { try $0.compose(noiseMultiplier: 1, samplingRate: .nan) }
        let nanNoise = rejection(of: accountant) { try $0.compose(noiseMultiplier: .nan, samplingRate: 0.1) }
        guard case .samplingRateOutOfRange(let rate)? = nanRate, case .noiseMultiplierNotPositive(let noise)? = nanNoise else {
            Issue.record("NaN inputs were not rejected with the right cases: \(String(describing: nanRate)), \(String(describing: nanNoise))")
            return
        }
        #expect(rate.isNaN && noise.isNaN)
    }

    @Test func deltaOutsideTheOpenUnitIntervalAndBadOrdersAreRejected() {
        let accountant = RDPAccountant()
        for delta in [0.0, 1.0, -1e-5, 2.0] {
            #expect(throws: PrivacyAccountingError.deltaOutOfRange(delta)) { try accountant.epsilon(delta: delta) }
        }
        #expect(throws: PrivacyAccountingError.orderCountInvalid(0)) { try RDPAccountant(orders: []) }
        #expect(throws: PrivacyAccountingError.orderInvalid(1)) { try RDPAccountant(orders: [2, 1]) }
        #expect(throws: PrivacyAccountingError.orderInvalid(2048)) { try RDPAccountant(orders: [2048]) }
    }

    @Test(arguments: [
        // From rdp_reference.py, "smallest noise multiplier" block (bisection on dp-accounting).
        Calibration(target: 3, samplingRate: 256.0 / 60000, steps: 14063, reference: 1.0144943028676787),
        Calibration(target: 1, samplingRate: 0.01, steps: 1000, reference: 1.5131221626866318),
        Calibration(target: 2, samplingRate: 1, steps: 10, reference: 6.797880198351924),
    ])
    func noiseMultiplierIsTheSmallestThatMeetsTheTarget(_ row: Calibration) throws {
        let sigma = try RDPAccountant.noiseMultiplier(forEpsilon: row.target, delta: 1e-5,
                                                      samplingRate: row.samplingRate, steps: row.steps)
        #expect(relativeError(sigma, row.reference) < 1e-4)
        #expect(try epsilon(sigma: sigma, samplingRate: row.samplingRate, steps: row.steps) <= row.target)
        let smaller = try epsilon(sigma: sigma * 0.99, samplingRate: row.samplingRate, steps: row.steps)
        #expect(smaller > row.target)
        #expect(smaller < row.target * 1.1)  // "slightly" above: epsilon is continuous in sigma
    }

    @Test func noiseMultiplierRejectsTargetsItCannotMeet() {
        func search(_ target: Double, delta: Double = 1e-5, q: Double = 0.01, steps: Int = 100) throws(PrivacyAccountingError) -> Double {
            try RDPAccountant.noiseMultiplier(forEpsilon: target, delta: delta, samplingRate: q, steps: steps)
        }
        #expect(throws: PrivacyAccountingError.epsilonNotPositive(0)) { try search(0) }
        #expect(throws: PrivacyAccountingError.epsilonNotPositive(.infinity)) { try search(.infinity) }
        #expect(throws: PrivacyAccountingError.deltaOutOfRange(0)) { try search(1, delta: 0) }
        #expect(throws: PrivacyAccountingError.samplingRateOutOfRange(0)) { try search(1, q: 0) }
        #expect(throws: PrivacyAccountingError.stepsOutOfRange(0)) { try search(1, steps: 0) }
        // With delta = 1e-300 no noise gets epsilon below about 1.3 over these orders (the
        // log(1/delta) / (alpha - 1) term alone is 1.34 at alpha = 512).
        #expect(throws: PrivacyAccountingError.epsilonUnreachable(target: 0.5, noiseMultiplierMax: 1e6)) {
            try search(0.5, delta: 1e-300, q: 1, steps: 1)
        }
    }

    @Test func aComputedGuaranteeMatchesTheAccountantAndRoundTripsThroughJSON() throws {
        let guarantee = try PrivacyGuarantee.computed(
            level: .device, noiseMultiplier: 1, samplingRate: 0.01, steps: 1000, clipBound: 0.5, delta: 1e-5)
        #expect(relativeError(guarantee.epsilon, 2.1077530754515745) < 1e-6)
        #expect(guarantee.accountant == "rdp-subsampled-gaussian")
        let json = try JSONEncoder().encode(guarantee)
        #expect(String(decoding: json, as: UTF8.self).contains("\"level\":\"device\""))
        #expect(try JSONDecoder().decode(PrivacyGuarantee.self, from: json) == guarantee)
    }

    @Test func aGuaranteeNeedsAClipBoundAndAFiniteEpsilon() {
        #expect(throws: PrivacyAccountingError.clipBoundNotPositive(0)) {
            try PrivacyGuarantee.computed(level: .record, noiseMultiplier: 1, samplingRate: 0.01, steps: 10,
                                          clipBound: 0, delta: 1e-5)
        }
        // sigma^2 underflows to 0, so every order's RDP is infinite.
        #expect(throws: PrivacyAccountingError.noFiniteEpsilon(noiseMultiplier: 1e-200)) {
            try PrivacyGuarantee.computed(level: .record, noiseMultiplier: 1e-200, samplingRate: 1, steps: 1,
                                          clipBound: 1, delta: 1e-5)
        }
    }

    // MARK: - Helpers

    private func relativeError(_ value: Double, _ reference: Double) -> Double {
        abs(value - reference) / abs(reference)
    }

    private func epsilon(sigma: Double, samplingRate: Double, steps: Int) throws -> Double {
        var accountant = RDPAccountant()
        try accountant.compose(noiseMultiplier: sigma, samplingRate: samplingRate, steps: steps)
        return try accountant.epsilon(delta: 1e-5).epsilon
    }

    /// The error a call throws on a copy of `accountant`, after checking that the copy is unchanged.
    private func rejection(
        of accountant: RDPAccountant, _ call: (inout RDPAccountant) throws -> Void
    ) -> PrivacyAccountingError? {
        var copy = accountant
        do {
            try call(&copy)
        } catch {
            #expect(copy == accountant)
            return error as? PrivacyAccountingError
        }
        Issue.record("the call was accepted")
        return nil
    }
}
