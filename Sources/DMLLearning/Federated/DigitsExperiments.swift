/// The accuracy experiments of the federated-learning issue on the digits dataset, defined
/// once for the test suite and for `dml fl experiments`: 20% held out, the rest dealt to ten
/// devices (IID, or non-IID by Dirichlet α = 0.5), softmax regression.
public struct DigitsExperiments: Sendable {
    public let train: Dataset
    public let test: Dataset
    public var devices = 10
    public var rounds = 30

    /// Splits the full dataset (pixels already scaled to 0…1) with a fixed seed.
    public init(all: Dataset) {
        (train, test) = Partition.holdOut(all, testFraction: 0.2, seed: 7)
    }

    public static let model = ModelSpec(kind: .softmax, inputs: 64, classes: 10)
    public static let training = LocalTraining(learningRate: 0.5, batchSize: 16, epochs: 2)
    /// The poisoning devices: 20% of ten.
    public static let attackers: Set<Int> = [3, 7]
    public static let delta = 1e-5
    public static let epsilonTarget = 8.0

    public func partition(nonIID: Bool) -> [Dataset] {
        nonIID ? Partition.dirichlet(train, devices: devices, alpha: 0.5, classes: 10, seed: 11)
            : Partition.iid(train, devices: devices, seed: 11)
    }

    public func plan(strategy: StrategySpec = .fedAvg, secure: Bool = false,
                     training: LocalTraining = DigitsExperiments.training) -> FederatedPlan {
        FederatedPlan(model: Self.model, strategy: strategy, training: training, rounds: rounds, devicesPerRound: devices,
                      minimumDevices: min(devices, max(2, devices * 6 / 10, strategy.updatesMin)),
                      secureAggregation: secure ? SecureAggregationSettings(clip: 256) : nil)
    }

    /// Record-level DP-SGD tuned to ε = 8 at δ = 10⁻⁵ over the whole run: Poisson sampling at
    /// rate 0.25, four steps a round, σ from the accountant.
    public func privatePlan() throws(PrivacyAccountingError) -> FederatedPlan {
        let rate = 0.25, steps = 4
        let sigma = try RDPAccountant.noiseMultiplier(forEpsilon: Self.epsilonTarget, delta: Self.delta,
                                                      samplingRate: rate, steps: steps * rounds)
        let dp = LocalTraining.DPSGD(clipNorm: 1, noiseMultiplier: sigma, samplingRate: rate, stepsPerRound: steps)
        return plan(training: LocalTraining(learningRate: 1, batchSize: 16, epochs: 1, differentialPrivacy: dp))
    }

    public func run(_ plan: FederatedPlan, nonIID: Bool = true, dropout: Double = 0,
                    attack: FederatedSimulation.Attack? = nil, observe: (RoundMetrics) -> Void = { _ in }) throws -> SimulationResult {
        var simulation = FederatedSimulation(plan: plan, devices: partition(nonIID: nonIID), test: test)
        simulation.dropoutFraction = dropout
        if let attack {
            simulation.attack = attack
            simulation.attackers = Self.attackers
        }
        return try simulation.run(observe: observe)
    }

    /// Every scenario, named as in docs/benchmarks.md.
    public func scenarios() throws -> [(name: String, plan: FederatedPlan, nonIID: Bool, dropout: Double, attack: FederatedSimulation.Attack?)] {
        [
            ("fedavg non-IID", plan(), true, 0, nil),
            ("fedavg non-IID, secure aggregation", plan(secure: true), true, 0, nil),
            ("fedavg non-IID, secure aggregation, 20% dropouts", plan(secure: true), true, 0.2, nil),
            ("fedavg non-IID, DP-SGD ε≤8", try privatePlan(), true, 0, nil),
            ("fedavg IID, 20% scaled sign-flip", plan(), false, 0, .scaledSignFlip),
            ("trimmed mean (k=2) IID, 20% scaled sign-flip", plan(strategy: .fedTrimmedAvg(.count(2))), false, 0, .scaledSignFlip),
            ("multi-krum (f=2, m=6) IID, 20% scaled sign-flip", plan(strategy: .multiKrum(byzantine: 2, selection: 6)), false, 0, .scaledSignFlip),
            ("fedavg IID, 20% flipped labels", plan(), false, 0, .labelFlip),
            ("median IID, 20% flipped labels", plan(strategy: .fedMedian), false, 0, .labelFlip),
            ("trimmed mean (k=2) IID, 20% flipped labels", plan(strategy: .fedTrimmedAvg(.count(2))), false, 0, .labelFlip),
        ]
    }
}
