/// Federated training of many devices in one process, through exactly the code the devices
/// and the server run (`DeviceRound`, `ServerRound`, secure aggregation): for the accuracy
/// experiments, the test suite and `dml fl experiments`. Deterministic for a given seed.
public struct FederatedSimulation: Sendable {
    public var plan: FederatedPlan
    /// One local dataset per device.
    public var devices: [Dataset]
    /// Held-out data the model is evaluated on after every round.
    public var test: Dataset
    /// Devices that misbehave, and how.
    public var attackers: Set<Int> = []
    public var attack: Attack?
    /// The share of each round's devices that drop out after joining (after sharing their
    /// secure-aggregation keys, before sending their update).
    public var dropoutFraction: Double = 0
    public var seed: UInt64 = 1

    public init(plan: FederatedPlan, devices: [Dataset], test: Dataset) {
        self.plan = plan
        self.devices = devices
        self.test = test
    }

    /// How a poisoning device misbehaves.
    public enum Attack: String, Codable, Sendable, CaseIterable {
        /// Sends global − 10·(its honest change): the model pushed hard the wrong way.
        case scaledSignFlip = "scaled-sign-flip"
        /// Trains honestly on labels mapped y → classes − 1 − y.
        case labelFlip = "label-flip"
    }

    /// Runs every round; `observe` sees each round's metrics as it ends.
    public func run(observe: (RoundMetrics) -> Void = { _ in }) throws -> SimulationResult {
        precondition(plan.problem == nil, plan.problem ?? "")
        var generator = SeededXoshiro(seed: seed)
        var global = plan.initialModel
        var history: [RoundMetrics] = []
        for round in 1...plan.rounds {
            let chosen = Array(0..<devices.count).shuffled(using: &generator).prefix(plan.devicesPerRound).sorted()
            let dropCount = Int((Double(chosen.count) * dropoutFraction).rounded())
            let dropped = Set(chosen.shuffled(using: &generator).prefix(dropCount))
            let senders = chosen.filter { !dropped.contains($0) }
            var updates: [(device: Int, parameters: [Float], examples: Int, loss: Double)] = []
            for device in chosen {
                var local = devices[device]
                if attackers.contains(device), attack == .labelFlip {
                    local.labels = local.labels.map { plan.model.classes - 1 - $0 }
                }
                let trained = DeviceRound.train(global: global, data: local, plan: plan, using: &generator)
                var parameters = trained.parameters
                if attackers.contains(device), attack == .scaledSignFlip {
                    parameters = zip(global.parameters, parameters).map { $0 - 10 * ($1 - $0) }
                }
                updates.append((device, parameters, local.count, trained.summary.meanLoss))
            }
            let arrived = updates.filter { !dropped.contains($0.device) }
            guard arrived.count >= plan.minimumDevices else {
                throw SimulationError.tooFewDevices(round: round, arrived: arrived.count, needed: plan.minimumDevices)
            }
            if plan.secureAggregation != nil {
                global.parameters = try secureRound(global: global.parameters, joined: updates, senders: Set(senders),
                                                    round: round, using: &generator)
            } else {
                let clientUpdates = arrived.map {
                    ClientUpdate(contributor: Self.deviceName($0.device), parameters: $0.parameters, exampleCount: $0.examples)
                }
                global.parameters = try ServerRound.aggregate(clientUpdates, global: global.parameters, plan: plan, using: &generator)
            }
            let evaluation = global.evaluate(test)
            let metrics = RoundMetrics(round: round, accuracy: evaluation.accuracy, loss: evaluation.loss,
                                       devices: arrived.count, dropouts: dropped.count,
                                       trainingLoss: arrived.map(\.loss).reduce(0, +) / Double(max(arrived.count, 1)))
            history.append(metrics)
            observe(metrics)
        }
        return SimulationResult(model: global, rounds: history)
    }

    /// Devices are named by index, zero-padded so that names sort like numbers.
    static func deviceName(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}

/// One round's outcome.
public struct RoundMetrics: Codable, Sendable, Equatable {
    public var round: Int
    /// Test accuracy of the new global model (0…1).
    public var accuracy: Double
    /// Test cross-entropy of the new global model.
    public var loss: Double
    /// Updates aggregated.
    public var devices: Int
    /// Devices that joined the round but did not send.
    public var dropouts: Int
    /// Mean local training loss reported by the devices.
    public var trainingLoss: Double

    public init(round: Int, accuracy: Double, loss: Double, devices: Int, dropouts: Int, trainingLoss: Double) {
        self.round = round
        self.accuracy = accuracy
        self.loss = loss
        self.devices = devices
        self.dropouts = dropouts
        self.trainingLoss = trainingLoss
    }
}

/// The final model and every round's metrics.
public struct SimulationResult: Sendable {
    public var model: Model
    public var rounds: [RoundMetrics]
    public var finalAccuracy: Double { rounds.last?.accuracy ?? 0 }
}

/// Why a simulated job stopped.
public enum SimulationError: Error, Equatable, CustomStringConvertible {
    case tooFewDevices(round: Int, arrived: Int, needed: Int)
    case secureAggregation(String)

    public var description: String {
        switch self {
        case let .tooFewDevices(round, arrived, needed): "round \(round): \(arrived) updates arrived, \(needed) needed"
        case .secureAggregation(let reason): "secure aggregation failed: \(reason)"
        }
    }
}
