/// A stated differential-privacy guarantee: what is protected, the (epsilon, delta) reached, and
/// every parameter needed to recompute it with the named accountant.
///
/// Why all the inputs and not just epsilon: a reader (a data owner, an auditor) can check the
/// claim by running the accountant again, and a job's report says exactly which mechanism ran.
public struct PrivacyGuarantee: Codable, Sendable, Equatable {
    /// The unit whose presence or absence the guarantee hides.
    public enum Level: String, Codable, Sendable, Equatable, CaseIterable {
        /// One training example (DP-SGD: per-example clipping, q = batch size / examples).
        case record
        /// One device's whole contribution (DP-FedAvg: the model delta is clipped,
        /// q = devices per round / devices in the population).
        case device
    }

    /// What is protected.
    public var level: Level
    /// The privacy loss bound epsilon (natural log units).
    public var epsilon: Double
    /// The probability delta with which the epsilon bound may fail.
    public var delta: Double
    /// Noise standard deviation divided by the clip bound (sigma).
    public var noiseMultiplier: Double
    /// The Poisson sampling rate q of each step.
    public var samplingRate: Double
    /// The number of composed steps (DP-SGD steps, or federated rounds).
    public var steps: Int
    /// The L2 bound each contribution (gradient or model delta) was clipped to.
    public var clipBound: Double
    /// The accounting method; `RDPAccountant.name` ("rdp-subsampled-gaussian").
    public var accountant: String

    /// A guarantee as stated; nothing is recomputed (see `computed(...)` for that).
    public init(
        level: Level, epsilon: Double, delta: Double, noiseMultiplier: Double, samplingRate: Double,
        steps: Int, clipBound: Double, accountant: String = RDPAccountant.name
    ) {
        self.level = level
        self.epsilon = epsilon
        self.delta = delta
        self.noiseMultiplier = noiseMultiplier
        self.samplingRate = samplingRate
        self.steps = steps
        self.clipBound = clipBound
        self.accountant = accountant
    }

    /// The guarantee that `steps` Poisson-subsampled Gaussian steps give at `delta`, computed by
    /// `RDPAccountant` over its default orders.
    ///
    /// - Throws: `.clipBoundNotPositive`, then the accountant's rejections (`.samplingRateOutOfRange`,
    ///   `.noiseMultiplierNotPositive`, `.stepsOutOfRange`, `.deltaOutOfRange`), then
    ///   `.noFiniteEpsilon` (an infinite epsilon states nothing, and JSON cannot carry it).
    public static func computed(
        level: Level, noiseMultiplier: Double, samplingRate: Double, steps: Int, clipBound: Double,
        delta: Double
    ) throws(PrivacyAccountingError) -> PrivacyGuarantee {
        guard clipBound.isFinite && clipBound > 0 else { throw .clipBoundNotPositive(clipBound) }
        var accountant = RDPAccountant()
        try accountant.compose(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: steps)
        let epsilon = try accountant.epsilon(delta: delta).epsilon
        guard epsilon.isFinite else { throw .noFiniteEpsilon(noiseMultiplier: noiseMultiplier) }
        return PrivacyGuarantee(
            level: level, epsilon: epsilon, delta: delta, noiseMultiplier: noiseMultiplier,
            samplingRate: samplingRate, steps: steps, clipBound: clipBound)
    }
}
