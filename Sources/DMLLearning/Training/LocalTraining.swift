/// How a device trains the global model on its own data in one round.
public struct LocalTraining: Codable, Sendable, Equatable {
    /// SGD step size.
    public var learningRate: Float
    /// Examples per mini-batch (unused under DP-SGD, whose batches are Poisson samples at `samplingRate`).
    public var batchSize: Int
    /// Passes over the local data per round.
    public var epochs: Int
    /// FedProx's μ: pulls local weights toward the global model by μ·(w − w_global). Nil is 0.
    public var proximalMu: Float?
    /// Record-level differential privacy (DP-SGD); nil trains without it.
    public var differentialPrivacy: DPSGD?

    public init(learningRate: Float, batchSize: Int, epochs: Int, proximalMu: Float? = nil,
                differentialPrivacy: DPSGD? = nil) {
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.epochs = epochs
        self.proximalMu = proximalMu
        self.differentialPrivacy = differentialPrivacy
    }

    /// DP-SGD (Abadi et al. 2016): each example's gradient clipped to `clipNorm`, Gaussian noise
    /// of standard deviation `noiseMultiplier · clipNorm` added to the sum, batches drawn by
    /// Poisson sampling (each example independently with probability `samplingRate`) so that
    /// the Rényi accountant for the subsampled Gaussian applies exactly. The plan fixes the
    /// rate and the steps per round, so the guarantee is known before any device joins,
    /// whatever each device's data size.
    public struct DPSGD: Codable, Sendable, Equatable {
        public var clipNorm: Float
        public var noiseMultiplier: Double
        public var samplingRate: Double
        public var stepsPerRound: Int
        public init(clipNorm: Float, noiseMultiplier: Double, samplingRate: Double, stepsPerRound: Int) {
            self.clipNorm = clipNorm
            self.noiseMultiplier = noiseMultiplier
            self.samplingRate = samplingRate
            self.stepsPerRound = stepsPerRound
        }
    }

    /// Bounds for a job specification.
    public static let epochsMax = 100
    public static let batchSizeMax = 1 << 16

    /// What is wrong with these settings, or nil.
    public var problem: String? {
        if !(learningRate.isFinite && learningRate > 0 && learningRate <= 100) { return "learningRate must be in (0, 100]" }
        if !(1...Self.batchSizeMax).contains(batchSize) { return "batchSize must be in 1...\(Self.batchSizeMax)" }
        if !(1...Self.epochsMax).contains(epochs) { return "epochs must be in 1...\(Self.epochsMax)" }
        if let mu = proximalMu, !(mu.isFinite && mu >= 0 && mu <= 100) { return "proximalMu must be in [0, 100]" }
        if let dp = differentialPrivacy {
            if !(dp.clipNorm.isFinite && dp.clipNorm > 0) { return "clipNorm must be positive" }
            if !(dp.noiseMultiplier.isFinite && dp.noiseMultiplier > 0 && dp.noiseMultiplier <= 1000) {
                return "noiseMultiplier must be in (0, 1000]"
            }
            if !(dp.samplingRate > 0 && dp.samplingRate <= 1) { return "samplingRate must be in (0, 1]" }
            if !(1...100_000).contains(dp.stepsPerRound) { return "stepsPerRound must be in 1...100000" }
        }
        return nil
    }

    /// SGD steps per round on `examples` local examples (fixed by the plan under DP-SGD).
    public func steps(examples: Int) -> Int {
        if let dp = differentialPrivacy { return dp.stepsPerRound }
        return epochs * max(1, (examples + batchSize - 1) / batchSize)
    }
}

/// What one round of local training did.
public struct TrainingSummary: Codable, Sendable, Equatable {
    public var steps: Int
    public var examples: Int
    /// Mean loss over the round's mini-batches (before each step).
    public var meanLoss: Double
}
