import DMLLearning

/// One round of a federated job as its coordinator holds it: who joined, what each sent, and
/// the secure-aggregation server when the plan asks for it. A value with no I/O: the
/// coordinator feeds it messages and the clock, and carries out what it decides.
struct RoundState: Sendable {
    enum Phase: String, Sendable, Comparable {
        /// Devices join (and advertise their keys) until the round is full or the join window ends.
        case joining
        /// Secure aggregation: devices send their encrypted key shares.
        case sharing
        /// Devices send their update (masked under secure aggregation).
        case updating
        /// Secure aggregation: survivors reveal the shares that remove the masks.
        case unmasking
        /// Enough arrived: the coordinator aggregates, records and pays.
        case closing

        private var order: Int {
            switch self {
            case .joining: 0
            case .sharing: 1
            case .updating: 2
            case .unmasking: 3
            case .closing: 4
            }
        }

        static func < (lhs: Phase, rhs: Phase) -> Bool { lhs.order < rhs.order }
    }

    /// Refuses a message meant for `expected`: too late (the round moved on) means the device
    /// is out of this round; too early is a protocol error.
    private func requirePhase(_ expected: Phase, _ what: String) throws(RoundRefusal) {
        if phase > expected { throw .notInRound("round \(round) has moved on to \(phase.rawValue); your \(what) came too late") }
        if phase < expected { throw .invalid("round \(round) is \(phase.rawValue), not taking \(what) yet") }
    }

    /// A plain update and the device's reported training loss.
    struct PlainUpdate: Sendable {
        let update: ClientUpdate
        let loss: Double
    }

    let round: Int
    let plan: FederatedPlan
    let global: Model
    private(set) var phase = Phase.joining
    private(set) var phaseStartedMilliseconds: UInt64
    /// Device ids (account addresses), in join order.
    private(set) var joined: [String] = []
    private(set) var secure: SecAggServer?
    private(set) var sharers: Set<String> = []
    private(set) var plain: [String: PlainUpdate] = [:]
    private(set) var maskedSenders: Set<String> = []
    private(set) var repliers: Set<String> = []
    private(set) var losses: [String: Double] = [:]

    init(round: Int, plan: FederatedPlan, global: Model, now: UInt64) throws(SecAggError) {
        self.round = round
        self.plan = plan
        self.global = global
        phaseStartedMilliseconds = now
        if plan.secureAggregation != nil {
            secure = SecAggServer(config: try Self.secureConfig(plan: plan, round: round))
        }
    }

    /// The secure-aggregation settings every device of the round must use.
    static func secureConfig(plan: FederatedPlan, round: Int) throws(SecAggError) -> SecAggConfig {
        try SecAggConfig(round: UInt64(round), threshold: plan.minimumDevices, vectorLength: plan.model.parameterCount + 1)
    }

    func contains(_ device: String) -> Bool { joined.contains(device) }

    // MARK: Messages

    /// A device joins; under secure aggregation with its advertisement.
    mutating func join(_ device: String, advertisement: SecAggAdvertisement?) throws(RoundRefusal) {
        guard !contains(device) else { return }
        guard phase == .joining else { throw .notInRound("round \(round) has started without you; join the next one") }
        guard joined.count < plan.devicesPerRound else { throw .notInRound("round \(round) is full") }
        if secure != nil {
            guard let advertisement, advertisement.deviceID == device else {
                throw .invalid("secure aggregation: send your key advertisement for round \(round), with deviceID \(device)")
            }
            do { try secure!.receiveAdvertisement(advertisement) } catch { throw .secure(error) }
        }
        joined.append(device)
    }

    mutating func receiveShares(_ upload: SecAggShareUpload, from device: String) throws(RoundRefusal) {
        guard contains(device), secure != nil else { throw .notInRound("you are not in round \(round)") }
        guard !sharers.contains(device) else { return }
        try requirePhase(.sharing, "shares")
        guard upload.sender == device else { throw .invalid("the shares are sent by \(upload.sender), not by you") }
        do { try secure!.receiveShares(upload) } catch { throw .secure(error) }
        sharers.insert(device)
    }

    mutating func receivePlain(_ parameters: [Float], examples: Int, loss: Double, from device: String) throws(RoundRefusal) {
        guard contains(device), secure == nil else { throw .notInRound("you are not in round \(round)") }
        guard plain[device] == nil else { return }
        try requirePhase(.updating, "update")
        guard parameters.count == global.parameters.count else {
            throw .invalid("the update has \(parameters.count) parameters, the model \(global.parameters.count)")
        }
        guard parameters.allSatisfy(\.isFinite) else { throw .invalid("the update holds NaN or infinity") }
        guard examples > 0 else { throw .invalid("examples must be positive") }
        plain[device] = PlainUpdate(update: ClientUpdate(contributor: device, parameters: parameters, exampleCount: examples),
                                    loss: Self.reported(loss))
    }

    mutating func receiveMasked(_ input: SecAggMaskedInput, loss: Double, from device: String) throws(RoundRefusal) {
        guard contains(device), secure != nil else { throw .notInRound("you are not in round \(round)") }
        guard !maskedSenders.contains(device) else { return }
        try requirePhase(.updating, "masked input")
        guard input.deviceID == device else { throw .invalid("the masked input is \(input.deviceID)'s, not yours") }
        do { try secure!.receiveMaskedInput(input) } catch { throw .secure(error) }
        maskedSenders.insert(device)
        losses[device] = Self.reported(loss)
    }

    mutating func receiveUnmasking(_ reply: SecAggUnmaskingReply, from device: String) throws(RoundRefusal) {
        guard contains(device), secure != nil else { throw .notInRound("you are not in round \(round)") }
        guard !repliers.contains(device) else { return }
        try requirePhase(.unmasking, "unmasking reply")
        guard reply.deviceID == device else { throw .invalid("the unmasking reply is \(reply.deviceID)'s, not yours") }
        do { try secure!.receiveUnmaskingReply(reply) } catch { throw .secure(error) }
        repliers.insert(device)
    }

    /// A device's reported loss, bounded: it only feeds the report, and a huge or non-finite
    /// value must not make the round's metrics unencodable.
    static func reported(_ loss: Double) -> Double {
        loss.isFinite ? min(max(loss, 0), 1e6) : 0
    }

    // MARK: Time

    /// Moves to the next phase when everyone expected has answered or the phase's time is up
    /// with enough answers. Throws when time is up with too few: the round must start over.
    mutating func advance(now: UInt64, joinMilliseconds: UInt64, phaseMilliseconds: UInt64) throws(RoundRefusal) {
        let elapsed = now - min(now, phaseStartedMilliseconds)
        switch phase {
        case .joining:
            let full = joined.count == plan.devicesPerRound
            guard full || (elapsed >= joinMilliseconds && joined.count >= plan.minimumDevices) else { return }
            if secure != nil {
                do { _ = try secure!.publishRoster() } catch { throw .secure(error) }
                enter(.sharing, now)
            } else {
                enter(.updating, now)
            }
        case .sharing:
            guard sharers.count == joined.count || elapsed >= phaseMilliseconds else { return }
            do { _ = try secure!.closeShares() } catch { throw .secure(error) }
            enter(.updating, now)
        case .updating:
            let expected = secure?.shareSet.count ?? joined.count
            let arrived = secure == nil ? plain.count : maskedSenders.count
            guard arrived == expected || elapsed >= phaseMilliseconds else { return }
            guard arrived >= plan.minimumDevices else {
                throw .tooFew("\(arrived) updates arrived in round \(round), \(plan.minimumDevices) needed")
            }
            if secure != nil {
                do { _ = try secure!.requestUnmasking() } catch { throw .secure(error) }
                enter(.unmasking, now)
            } else {
                enter(.closing, now)
            }
        case .unmasking:
            let survivors = secure!.unmaskingRequest?.survivors.count ?? 0
            guard repliers.count == survivors || elapsed >= phaseMilliseconds else { return }
            guard repliers.count >= plan.minimumDevices else {
                throw .tooFew("\(repliers.count) unmasking replies in round \(round), \(plan.minimumDevices) needed")
            }
            enter(.closing, now)
        case .closing:
            return
        }
    }

    private mutating func enter(_ next: Phase, _ now: UInt64) {
        phase = next
        phaseStartedMilliseconds = now
    }

    // MARK: Closing

    /// What the round produced: the next global model, whose updates it holds, and their mean loss.
    struct Outcome: Sendable {
        let parameters: [Float]
        let devices: [String]
        let dropouts: Int
        let trainingLoss: Double
    }

    /// Aggregates what arrived (in the closing phase).
    mutating func close(using generator: inout some RandomNumberGenerator) throws -> Outcome {
        precondition(phase == .closing)
        if secure != nil {
            let result = try secure!.finish()
            let encoding = try SecureEncoding(plan: plan)
            let (sum, weight) = encoding.decode(result.sum)
            guard weight > 0 else { throw RoundRefusal.tooFew("the survivors' weights sum to zero") }
            // Under secure aggregation the devices added the device-level noise themselves.
            let parameters = ServerRound.apply(sum: sum, weight: Double(weight), to: global.parameters)
            let losses = result.survivors.compactMap { self.losses[$0] }
            return Outcome(parameters: parameters, devices: result.survivors, dropouts: joined.count - result.survivors.count,
                           trainingLoss: losses.reduce(0, +) / Double(max(losses.count, 1)))
        }
        let updates = plain.values.map(\.update)
        let parameters = try ServerRound.aggregate(updates, global: global.parameters, plan: plan, using: &generator)
        return Outcome(parameters: parameters, devices: plain.keys.sorted(), dropouts: joined.count - plain.count,
                       trainingLoss: plain.values.map(\.loss).reduce(0, +) / Double(max(plain.count, 1)))
    }
}

/// Why a round refused a device's message (or must start over).
enum RoundRefusal: Error, Sendable {
    case notInRound(String)
    case invalid(String)
    case tooFew(String)
    case secure(SecAggError)
}
