import DMLCore

/// The calls of the Jobs module.
public enum JobsCall: ModuleCall, Hashable {
    case create(JobDraft)
    /// The validator accepts `device`'s result, identified by its run receipt and output digests.
    case accept(Identifier<Job>, device: AccountID, receipt: Hash256, output: Hash256)
    /// After the deadline: refunds what is unpaid and closes the job.
    case close(Identifier<Job>)
    /// The validator records the digest of the job's aggregate report.
    case recordReport(Identifier<Job>, Hash256)

    public static let module = ModuleID.jobs

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case .create(let draft): writer.write(UInt8(0)); writer.write(draft)
        case let .accept(id, device, receipt, output):
            writer.write(UInt8(1)); writer.write(id); writer.write(device); writer.write(receipt); writer.write(output)
        case .close(let id): writer.write(UInt8(2)); writer.write(id)
        case let .recordReport(id, digest): writer.write(UInt8(3)); writer.write(id); writer.write(digest)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("call tag") {
        case 0: self = .create(try reader.read())
        case 1: self = .accept(try reader.read(), device: try reader.read(), receipt: try reader.read(), output: try reader.read())
        case 2: self = .close(try reader.read())
        case 3: self = .recordReport(try reader.read(), try reader.read())
        case let tag: throw .unknownTag(field: "jobs call", offset: start, tag: UInt64(tag))
        }
    }
}

/// What the Jobs module reports.
public enum JobsEvent: ModuleEvent, Hashable {
    case created(Identifier<Job>, requester: AccountID, rewardsHeld: Amount)
    case accepted(Identifier<Job>, device: AccountID, receipt: Hash256, paid: Amount)
    case completed(Identifier<Job>)
    case closed(Identifier<Job>, refunded: Amount)
    case reportRecorded(Identifier<Job>, Hash256)

    public static let module = ModuleID.jobs

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .created(id, requester, held): writer.write(UInt8(0)); writer.write(id); writer.write(requester); writer.write(held)
        case let .accepted(id, device, receipt, paid):
            writer.write(UInt8(1)); writer.write(id); writer.write(device); writer.write(receipt); writer.write(paid)
        case .completed(let id): writer.write(UInt8(2)); writer.write(id)
        case let .closed(id, refunded): writer.write(UInt8(3)); writer.write(id); writer.write(refunded)
        case let .reportRecorded(id, digest): writer.write(UInt8(4)); writer.write(id); writer.write(digest)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("event tag") {
        case 0: self = .created(try reader.read(), requester: try reader.read(), rewardsHeld: try reader.read())
        case 1: self = .accepted(try reader.read(), device: try reader.read(), receipt: try reader.read(), paid: try reader.read())
        case 2: self = .completed(try reader.read())
        case 3: self = .closed(try reader.read(), refunded: try reader.read())
        case 4: self = .reportRecorded(try reader.read(), try reader.read())
        case let tag: throw .unknownTag(field: "jobs event", offset: start, tag: UInt64(tag))
        }
    }
}

/// Why the Jobs module refused a call.
public enum JobsError: RejectionReason {
    case zeroReward
    case invalidDevices(UInt32, max: UInt32)
    case deadlinePassed(deadline: UInt64, now: UInt64)
    case fieldTooLong(field: String, bytes: Int, max: Int)
    case rewardOverflow
    case tooManyJobs(requester: AccountID, max: Int)
    case unknownJob(Identifier<Job>)
    case notValidator(Identifier<Job>, account: AccountID)
    case notRequesterOrValidator(Identifier<Job>, account: AccountID)
    case jobNotOpen(Identifier<Job>, status: Job.Status)
    case requesterCannotWork(Identifier<Job>)
    case alreadyPaid(Identifier<Job>, device: AccountID)
    case deadlineNotReached(Identifier<Job>, deadline: UInt64)
    case balances(BalancesError)

    public var code: String {
        switch self {
        case .zeroReward: "jobs.zero_reward"
        case .invalidDevices: "jobs.invalid_devices"
        case .deadlinePassed: "jobs.deadline_passed"
        case .fieldTooLong: "jobs.field_too_long"
        case .rewardOverflow: "jobs.reward_overflow"
        case .tooManyJobs: "jobs.too_many_jobs"
        case .unknownJob: "jobs.unknown_job"
        case .notValidator: "jobs.not_validator"
        case .notRequesterOrValidator: "jobs.not_requester_or_validator"
        case .jobNotOpen: "jobs.job_not_open"
        case .requesterCannotWork: "jobs.requester_cannot_work"
        case .alreadyPaid: "jobs.already_paid"
        case .deadlineNotReached: "jobs.deadline_not_reached"
        case .balances(let error): error.code
        }
    }

    public var description: String {
        switch self {
        case .zeroReward: "the reward per device must be more than zero"
        case let .invalidDevices(count, max): "devices must be 1–\(max), got \(count)"
        case let .deadlinePassed(deadline, now): "the deadline \(deadline) is not after the block time \(now)"
        case let .fieldTooLong(field, bytes, max): "\(field) is \(bytes) bytes, at most \(max) allowed"
        case .rewardOverflow: "reward × devices is more than the largest amount"
        case let .tooManyJobs(requester, max): "\(requester) already created \(max) jobs"
        case .unknownJob(let id): "there is no job \(id)"
        case let .notValidator(id, account): "\(account) is not the validator of job \(id)"
        case let .notRequesterOrValidator(id, account): "\(account) is neither the requester nor the validator of job \(id)"
        case let .jobNotOpen(id, status): "job \(id) is \(status)"
        case .requesterCannotWork(let id): "the requester of job \(id) cannot be paid by it"
        case let .alreadyPaid(id, device): "\(device) was already paid for job \(id)"
        case let .deadlineNotReached(id, deadline): "job \(id) runs until block time \(deadline)"
        case .balances(let error): error.description
        }
    }
}
