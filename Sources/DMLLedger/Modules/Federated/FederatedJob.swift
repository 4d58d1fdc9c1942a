import DMLCore

/// What a requester asks for when training a model with devices: the plan (off the ledger,
/// identified by the digest of its canonical JSON), its rounds and devices, what each device
/// earns per round, until when, who coordinates and pays, and the privacy it spends.
public struct FederatedDraft: Hashable, Sendable, CanonicalCodable {
    /// SHA-256 of the plan's canonical JSON (model, strategy, training, privacy settings).
    public var plan: Hash256
    public var rounds: UInt32
    public var devicesPerRound: UInt32
    /// Paid to each device whose update is aggregated in a round.
    public var rewardPerDevicePerRound: Amount
    /// Block time (ms) after which the job can be closed and what is unpaid refunded.
    public var deadline: UInt64
    /// The coordinator: the account whose calls pay devices and record rounds.
    public var validator: AccountID
    /// The dataset whose privacy budget the job spends, if any.
    public var dataset: DatasetName?
    /// The job's total ε per device over the whole run, in millionths (0 without DP).
    public var epsilonMicros: UInt64
    /// Its δ, in units of 10⁻¹².
    public var deltaPicos: UInt64

    public init(plan: Hash256, rounds: UInt32, devicesPerRound: UInt32, rewardPerDevicePerRound: Amount, deadline: UInt64,
                validator: AccountID, dataset: DatasetName? = nil, epsilonMicros: UInt64 = 0, deltaPicos: UInt64 = 0) {
        self.plan = plan
        self.rounds = rounds
        self.devicesPerRound = devicesPerRound
        self.rewardPerDevicePerRound = rewardPerDevicePerRound
        self.deadline = deadline
        self.validator = validator
        self.dataset = dataset
        self.epsilonMicros = epsilonMicros
        self.deltaPicos = deltaPicos
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(plan); writer.write(rounds); writer.write(devicesPerRound); writer.write(rewardPerDevicePerRound)
        writer.write(deadline); writer.write(validator); writer.write(dataset); writer.write(epsilonMicros); writer.write(deltaPicos)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        plan = try reader.read()
        rounds = try reader.readUInt32("rounds")
        devicesPerRound = try reader.readUInt32("devices per round")
        rewardPerDevicePerRound = try reader.read()
        deadline = try reader.readUInt64("deadline")
        validator = try reader.read()
        dataset = try reader.readOptional(DatasetName.self, "dataset")
        epsilonMicros = try reader.readUInt64("epsilon")
        deltaPicos = try reader.readUInt64("delta")
    }
}

/// A federated job on the ledger.
public struct FederatedJob: Hashable, Sendable, CanonicalCodable {
    public enum Status: UInt8, Hashable, Sendable, CanonicalByteEnum {
        /// Rounds are running.
        case open = 0
        /// The coordinator recorded the final model; what was unpaid went back.
        case completed
        /// Closed after the deadline without a final model; what was unpaid went back.
        case closed

        public static let canonicalName = "federated job status"
    }

    public var requester: AccountID
    public var draft: FederatedDraft
    public var status: Status
    public var createdAtHeight: UInt64
    /// Rounds recorded so far (the next round to record is `roundsRecorded + 1`).
    public var roundsRecorded: UInt32
    /// Device-rounds paid so far.
    public var paidCount: UInt64
    /// What the reward escrow holds: `reward × (rounds × devicesPerRound − paidCount)` while open.
    public var rewardsHeld: Amount
    /// The final model's weights digest, once completed.
    public var finalModel: Hash256?

    public init(requester: AccountID, draft: FederatedDraft, height: UInt64, rewardsHeld: Amount) {
        self.requester = requester
        self.draft = draft
        self.status = .open
        self.createdAtHeight = height
        self.roundsRecorded = 0
        self.paidCount = 0
        self.rewardsHeld = rewardsHeld
        self.finalModel = nil
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(requester); writer.write(draft); writer.write(status); writer.write(createdAtHeight)
        writer.write(roundsRecorded); writer.write(paidCount); writer.write(rewardsHeld); writer.write(finalModel)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        requester = try reader.read()
        draft = try reader.read()
        status = try reader.read()
        createdAtHeight = try reader.readUInt64("created at")
        roundsRecorded = try reader.readUInt32("rounds recorded")
        paidCount = try reader.readUInt64("paid count")
        rewardsHeld = try reader.read()
        finalModel = try reader.readOptional(Hash256.self, "final model")
    }
}

/// One recorded round: the model it produced and the devices paid for it.
public struct FederatedRound: Hashable, Sendable, CanonicalCodable {
    /// The weights digest of the global model after this round.
    public var model: Hash256
    public var devices: [AccountID]
    public var paid: Amount
    public var height: UInt64

    public init(model: Hash256, devices: [AccountID], paid: Amount, height: UInt64) {
        self.model = model
        self.devices = devices
        self.paid = paid
        self.height = height
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(model); writer.write(devices); writer.write(paid); writer.write(height)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        model = try reader.read()
        devices = try reader.readArray(maxCount: Int(Federated.devicesPerRoundMax), "devices")
        paid = try reader.read()
        height = try reader.readUInt64("height")
    }
}
