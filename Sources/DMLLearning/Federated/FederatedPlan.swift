import DMLCore
import Foundation

/// Everything a federated job fixes before it starts: the model, how devices train, how the
/// server aggregates, how many rounds with how many devices, and the privacy settings.
/// Its canonical JSON is hashed into the ledger (the job's plan digest, `canonicalJSON()`).
public struct FederatedPlan: Codable, Sendable, Equatable {
    public var model: ModelSpec
    public var strategy: StrategySpec
    public var training: LocalTraining
    public var rounds: Int
    /// Devices invited per round; a round closes early once all of them have sent.
    public var devicesPerRound: Int
    /// The fewest updates a round may be aggregated from (also the secure-aggregation threshold).
    public var minimumDevices: Int
    /// Secure aggregation (masking): the server only ever sees the sum. Nil sends plain updates.
    public var secureAggregation: SecureAggregationSettings?
    /// Device-level differential privacy: each update's change clipped, the sum noised.
    public var deviceLevelPrivacy: DeviceLevelPrivacy?
    /// The seed of the initial global model (every participant can recompute it).
    public var initialSeed: UInt64

    public init(model: ModelSpec, strategy: StrategySpec, training: LocalTraining, rounds: Int,
                devicesPerRound: Int, minimumDevices: Int, secureAggregation: SecureAggregationSettings? = nil,
                deviceLevelPrivacy: DeviceLevelPrivacy? = nil, initialSeed: UInt64 = 1) {
        self.model = model
        self.strategy = strategy
        self.training = training
        self.rounds = rounds
        self.devicesPerRound = devicesPerRound
        self.minimumDevices = minimumDevices
        self.secureAggregation = secureAggregation
        self.deviceLevelPrivacy = deviceLevelPrivacy
        self.initialSeed = initialSeed
    }

    public static let roundsMax = 10_000
    public static let devicesPerRoundMax = 1_000
    /// The most parameters a round's updates may hold together (128 Mi floats, 512 MiB).
    public static let roundParametersMax = 1 << 27
    /// The most work a pairwise step may do (Krum's distances, secure aggregation's masks).
    public static let pairwiseParametersMax = 1 << 31

    /// What is wrong with this plan, or nil when it can run.
    public var problem: String? {
        if let problem = model.problem { return "model: \(problem)" }
        if let problem = training.problem { return "training: \(problem)" }
        if !(1...Self.roundsMax).contains(rounds) { return "rounds must be in 1...\(Self.roundsMax)" }
        if !(1...Self.devicesPerRoundMax).contains(devicesPerRound) {
            return "devicesPerRound must be in 1...\(Self.devicesPerRoundMax)"
        }
        if !(1...devicesPerRound).contains(minimumDevices) { return "minimumDevices must be in 1...devicesPerRound" }
        if let problem = strategy.problem { return "strategy: \(problem)" }
        // What one round may cost the coordinator: the updates it holds, Krum's pairwise
        // distances, secure aggregation's mask expansions for dropped devices.
        let parameters = model.parameterCount
        if devicesPerRound * parameters > Self.roundParametersMax {
            return "devicesPerRound × parameters (\(devicesPerRound * parameters)) exceeds \(Self.roundParametersMax)"
        }
        if case .krum = strategy, devicesPerRound * devicesPerRound * parameters > Self.pairwiseParametersMax {
            return "Krum compares every pair of updates: devicesPerRound² × parameters exceeds \(Self.pairwiseParametersMax)"
        }
        if case .multiKrum = strategy, devicesPerRound * devicesPerRound * parameters > Self.pairwiseParametersMax {
            return "Multi-Krum compares every pair of updates: devicesPerRound² × parameters exceeds \(Self.pairwiseParametersMax)"
        }
        if secureAggregation != nil, devicesPerRound * devicesPerRound * parameters > Self.pairwiseParametersMax {
            return "secure aggregation may expand a mask per pair of devices: devicesPerRound² × parameters exceeds \(Self.pairwiseParametersMax)"
        }
        if case .fedProx(let mu) = strategy, training.proximalMu != mu {
            return "FedProx's μ acts on the devices: set training.proximalMu to the strategy's mu (\(mu))"
        }
        if minimumDevices < strategy.updatesMin {
            return "strategy \(strategy.name) needs at least \(strategy.updatesMin) updates a round; raise minimumDevices"
        }
        if let secure = secureAggregation {
            if let problem = secure.problem { return "secureAggregation: \(problem)" }
            if minimumDevices < 2 { return "secure aggregation needs minimumDevices ≥ 2 (a sum of one is the update)" }
            if devicesPerRound > Shamir.shareCountMax { return "secure aggregation handles at most \(Shamir.shareCountMax) devices a round" }
            if !strategy.supportsSecureAggregation {
                return "strategy \(strategy.name) needs individual updates; with secure aggregation the server sees only the sum (use fedavg or fedprox)"
            }
        }
        if let device = deviceLevelPrivacy {
            if let problem = device.problem { return "deviceLevelPrivacy: \(problem)" }
            if !strategy.supportsSecureAggregation {
                return "device-level privacy noises the average; strategy \(strategy.name) does not average"
            }
        }
        return nil
    }

    /// The initial global model.
    public var initialModel: Model { Model(spec: model, seed: initialSeed) }
}

/// Secure aggregation settings: values are clipped to ±`clip` before fixed-point encoding.
public struct SecureAggregationSettings: Codable, Sendable, Equatable {
    /// The per-coordinate bound of what each device adds (its example-weighted change).
    public var clip: Float
    public init(clip: Float) { self.clip = clip }

    public var problem: String? {
        clip.isFinite && clip > 0 && clip <= 1e6 ? nil : "clip must be in (0, 1e6]"
    }
}

/// Device-level differential privacy (DP-FedAvg, McMahan et al. 2018): each device's change
/// is clipped to an L2 bound, and Gaussian noise of `noiseMultiplier · clipNorm` is added to
/// the sum — by the server, or split across devices (each adds its share) under secure
/// aggregation so that no one ever sees the un-noised sum.
public struct DeviceLevelPrivacy: Codable, Sendable, Equatable {
    public var clipNorm: Float
    public var noiseMultiplier: Double
    public init(clipNorm: Float, noiseMultiplier: Double) {
        self.clipNorm = clipNorm
        self.noiseMultiplier = noiseMultiplier
    }

    public var problem: String? {
        if !(clipNorm.isFinite && clipNorm > 0) { return "clipNorm must be positive" }
        if !(noiseMultiplier.isFinite && noiseMultiplier >= 0 && noiseMultiplier <= 1000) {
            return "noiseMultiplier must be in [0, 1000]"
        }
        return nil
    }
}

extension FederatedPlan {
    /// The guarantee this plan states for every device's data over the whole run, at `delta`:
    /// record-level when devices run DP-SGD (each example, with the plan's sampling rate, over
    /// `stepsPerRound × rounds` steps, assuming a device takes part in every round), device-level
    /// when updates are clipped and noised (no amplification by device sampling is claimed:
    /// the number of devices is not known in advance). A device-level guarantee covers every
    /// record of the device too, so with both the record-level ε is the smaller one. Nil
    /// without differential privacy.
    public func privacyGuarantee(delta: Double) throws(PrivacyAccountingError) -> PrivacyGuarantee? {
        var record: PrivacyGuarantee?
        if let dp = training.differentialPrivacy {
            record = try PrivacyGuarantee.computed(level: .record, noiseMultiplier: dp.noiseMultiplier,
                                                   samplingRate: dp.samplingRate, steps: dp.stepsPerRound * rounds,
                                                   clipBound: Double(dp.clipNorm), delta: delta)
        }
        var device: PrivacyGuarantee?
        if let privacy = deviceLevelPrivacy, privacy.noiseMultiplier > 0 {
            device = try PrivacyGuarantee.computed(level: .device, noiseMultiplier: privacy.noiseMultiplier,
                                                   samplingRate: 1, steps: rounds,
                                                   clipBound: Double(privacy.clipNorm), delta: delta)
        }
        switch (record, device) {
        case let (record?, device?): return record.epsilon <= device.epsilon ? record : device
        case let (record?, nil): return record
        case let (nil, device?): return device
        case (nil, nil): return nil
        }
    }
}

extension FederatedPlan {
    /// The plan as JSON with sorted keys, and its SHA-256: the digest the ledger keeps for a
    /// job. The server computes it when a job is created, devices recompute it to check the
    /// plan they are served.
    public func canonicalJSON() throws -> (text: String, digest: Hash256) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        return (String(decoding: data, as: UTF8.self), Hash256.of([UInt8](data)))
    }
}
