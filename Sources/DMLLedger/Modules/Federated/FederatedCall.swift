import DMLCore

/// The calls of the Federated module.
public enum FederatedCall: ModuleCall, Hashable {
    case create(FederatedDraft)
    /// The validator records round `round`'s model and pays the devices aggregated in it.
    case recordRound(Identifier<FederatedJob>, round: UInt32, model: Hash256, devices: [AccountID])
    /// The validator records the final model; unpaid rewards go back to the requester.
    case complete(Identifier<FederatedJob>, model: Hash256)
    /// After the deadline: refunds what is unpaid and closes the job.
    case close(Identifier<FederatedJob>)

    public static let module = ModuleID.federated

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case .create(let draft): writer.write(UInt8(0)); writer.write(draft)
        case let .recordRound(id, round, model, devices):
            writer.write(UInt8(1)); writer.write(id); writer.write(round); writer.write(model); writer.write(devices)
        case let .complete(id, model): writer.write(UInt8(2)); writer.write(id); writer.write(model)
        case .close(let id): writer.write(UInt8(3)); writer.write(id)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("call tag") {
        case 0: self = .create(try reader.read())
        case 1:
            self = .recordRound(try reader.read(), round: try reader.readUInt32("round"), model: try reader.read(),
                                devices: try reader.readArray(maxCount: Int(Federated.devicesPerRoundMax) + 1, "devices"))
        case 2: self = .complete(try reader.read(), model: try reader.read())
        case 3: self = .close(try reader.read())
        case let tag: throw .unknownTag(field: "federated call", offset: start, tag: UInt64(tag))
        }
    }
}

/// What the Federated module reports.
public enum FederatedEvent: ModuleEvent, Hashable {
    case created(Identifier<FederatedJob>, requester: AccountID, rewardsHeld: Amount)
    case roundRecorded(Identifier<FederatedJob>, round: UInt32, model: Hash256, devices: UInt32, paid: Amount)
    case completed(Identifier<FederatedJob>, model: Hash256, refunded: Amount)
    case closed(Identifier<FederatedJob>, refunded: Amount)

    public static let module = ModuleID.federated

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .created(id, requester, held): writer.write(UInt8(0)); writer.write(id); writer.write(requester); writer.write(held)
        case let .roundRecorded(id, round, model, devices, paid):
            writer.write(UInt8(1)); writer.write(id); writer.write(round); writer.write(model); writer.write(devices); writer.write(paid)
        case let .completed(id, model, refunded): writer.write(UInt8(2)); writer.write(id); writer.write(model); writer.write(refunded)
        case let .closed(id, refunded): writer.write(UInt8(3)); writer.write(id); writer.write(refunded)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("event tag") {
        case 0: self = .created(try reader.read(), requester: try reader.read(), rewardsHeld: try reader.read())
        case 1: self = .roundRecorded(try reader.read(), round: try reader.readUInt32("round"), model: try reader.read(),
                                      devices: try reader.readUInt32("devices"), paid: try reader.read())
        case 2: self = .completed(try reader.read(), model: try reader.read(), refunded: try reader.read())
        case 3: self = .closed(try reader.read(), refunded: try reader.read())
        case let tag: throw .unknownTag(field: "federated event", offset: start, tag: UInt64(tag))
        }
    }
}

/// Why the Federated module refused a call.
public enum FederatedError: RejectionReason {
    case zeroReward
    case invalidRounds(UInt32, max: UInt32)
    case invalidDevicesPerRound(UInt32, max: UInt32)
    case deadlinePassed(deadline: UInt64, now: UInt64)
    case rewardOverflow
    case privacyWithoutDataset
    case tooManyJobs(requester: AccountID, max: Int)
    case unknownJob(Identifier<FederatedJob>)
    case notValidator(Identifier<FederatedJob>, account: AccountID)
    case notRequesterOrValidator(Identifier<FederatedJob>, account: AccountID)
    case jobNotOpen(Identifier<FederatedJob>, status: FederatedJob.Status)
    case wrongRound(Identifier<FederatedJob>, expected: UInt32, got: UInt32)
    case noDevices(Identifier<FederatedJob>)
    case tooManyDevices(Identifier<FederatedJob>, count: Int, max: UInt32)
    case duplicateDevice(Identifier<FederatedJob>, device: AccountID)
    case requesterCannotTrain(Identifier<FederatedJob>)
    case noRounds(Identifier<FederatedJob>)
    case deadlineNotReached(Identifier<FederatedJob>, deadline: UInt64)
    case privacy(PrivacyError)
    case balances(BalancesError)

    public var code: String {
        switch self {
        case .zeroReward: "federated.zero_reward"
        case .invalidRounds: "federated.invalid_rounds"
        case .invalidDevicesPerRound: "federated.invalid_devices_per_round"
        case .deadlinePassed: "federated.deadline_passed"
        case .rewardOverflow: "federated.reward_overflow"
        case .privacyWithoutDataset: "federated.privacy_without_dataset"
        case .tooManyJobs: "federated.too_many_jobs"
        case .unknownJob: "federated.unknown_job"
        case .notValidator: "federated.not_validator"
        case .notRequesterOrValidator: "federated.not_requester_or_validator"
        case .jobNotOpen: "federated.job_not_open"
        case .wrongRound: "federated.wrong_round"
        case .noDevices: "federated.no_devices"
        case .tooManyDevices: "federated.too_many_devices"
        case .duplicateDevice: "federated.duplicate_device"
        case .requesterCannotTrain: "federated.requester_cannot_train"
        case .noRounds: "federated.no_rounds"
        case .deadlineNotReached: "federated.deadline_not_reached"
        case .privacy(let error): error.code
        case .balances(let error): error.code
        }
    }

    public var description: String {
        switch self {
        case .zeroReward: "the reward per device per round must be more than zero"
        case let .invalidRounds(count, max): "rounds must be 1–\(max), got \(count)"
        case let .invalidDevicesPerRound(count, max): "devices per round must be 1–\(max), got \(count)"
        case let .deadlinePassed(deadline, now): "the deadline \(deadline) is not after the block time \(now)"
        case .rewardOverflow: "reward × rounds × devices is more than the largest amount"
        case .privacyWithoutDataset: "a job that states a privacy spend must name the dataset whose budget it spends"
        case let .tooManyJobs(requester, max): "\(requester) already created \(max) federated jobs"
        case .unknownJob(let id): "there is no federated job \(id)"
        case let .notValidator(id, account): "\(account) is not the validator of federated job \(id)"
        case let .notRequesterOrValidator(id, account): "\(account) is neither the requester nor the validator of federated job \(id)"
        case let .jobNotOpen(id, status): "federated job \(id) is \(status)"
        case let .wrongRound(id, expected, got): "federated job \(id) records round \(expected) next, not \(got)"
        case .noDevices(let id): "a round of federated job \(id) pays at least one device"
        case let .tooManyDevices(id, count, max): "\(count) devices is more than federated job \(id)'s \(max) per round"
        case let .duplicateDevice(id, device): "\(device) is listed twice in a round of federated job \(id)"
        case .requesterCannotTrain(let id): "the requester of federated job \(id) cannot be paid by it"
        case .noRounds(let id): "federated job \(id) has no recorded round to complete with"
        case let .deadlineNotReached(id, deadline): "federated job \(id) runs until block time \(deadline)"
        case .privacy(let error): error.description
        case .balances(let error): error.description
        }
    }
}
