import DMLCore

/// The calls of the Tasks module.
public enum TasksCall: ModuleCall, Hashable {
    case create(WorkTaskDraft)
    case assign(Identifier<WorkTask>)
    /// The caller's result on a task it is assigned to (one assignment per worker per task).
    case sendResult(Identifier<WorkTask>, TaskSubmission.Result)
    case validate(Identifier<WorkTask>, worker: AccountID, ValidationVerdict)
    /// Settles a stalled assignment after expiry: no result → abandoned (stake to the creator);
    /// a result still unjudged after the grace period → accepted (reward and stake to the worker).
    case settle(Identifier<WorkTask>, worker: AccountID)
    case withdraw(Identifier<WorkTask>)

    public static let module = ModuleID.tasks

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case .create(let draft): writer.write(UInt8(0)); writer.write(draft)
        case .assign(let id): writer.write(UInt8(1)); writer.write(id)
        case let .sendResult(id, result): writer.write(UInt8(2)); writer.write(id); writer.write(result)
        case let .validate(id, worker, verdict): writer.write(UInt8(3)); writer.write(id); writer.write(worker); writer.write(verdict)
        case let .settle(id, worker): writer.write(UInt8(4)); writer.write(id); writer.write(worker)
        case .withdraw(let id): writer.write(UInt8(5)); writer.write(id)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("call tag") {
        case 0: self = .create(try reader.read())
        case 1: self = .assign(try reader.read())
        case 2: self = .sendResult(try reader.read(), try reader.read())
        case 3: self = .validate(try reader.read(), worker: try reader.read(), try reader.read())
        case 4: self = .settle(try reader.read(), worker: try reader.read())
        case 5: self = .withdraw(try reader.read())
        case let tag: throw .unknownTag(field: "tasks call", offset: start, tag: UInt64(tag))
        }
    }
}

/// What the Tasks module reports (seed 003 declared these and emitted almost none).
public enum TasksEvent: ModuleEvent, Hashable {
    case created(Identifier<WorkTask>, creator: AccountID, rewardsHeld: Amount)
    case assigned(Identifier<WorkTask>, submission: Identifier<TaskSubmission>, worker: AccountID)
    case resultSent(Identifier<TaskSubmission>, worker: AccountID)
    case accepted(Identifier<TaskSubmission>, worker: AccountID, paid: Amount)
    case rejected(Identifier<TaskSubmission>, worker: AccountID, stakeForfeited: Amount)
    case abandoned(Identifier<TaskSubmission>, worker: AccountID, stakeForfeited: Amount)
    case statusChanged(Identifier<WorkTask>, to: WorkTask.Status)
    case withdrawn(Identifier<WorkTask>, amount: Amount)

    public static let module = ModuleID.tasks

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .created(id, creator, held): writer.write(UInt8(0)); writer.write(id); writer.write(creator); writer.write(held)
        case let .assigned(id, submission, worker): writer.write(UInt8(1)); writer.write(id); writer.write(submission); writer.write(worker)
        case let .resultSent(id, worker): writer.write(UInt8(2)); writer.write(id); writer.write(worker)
        case let .accepted(id, worker, paid): writer.write(UInt8(3)); writer.write(id); writer.write(worker); writer.write(paid)
        case let .rejected(id, worker, stake): writer.write(UInt8(4)); writer.write(id); writer.write(worker); writer.write(stake)
        case let .abandoned(id, worker, stake): writer.write(UInt8(5)); writer.write(id); writer.write(worker); writer.write(stake)
        case let .statusChanged(id, to): writer.write(UInt8(6)); writer.write(id); writer.write(to)
        case let .withdrawn(id, amount): writer.write(UInt8(7)); writer.write(id); writer.write(amount)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("event tag") {
        case 0: self = .created(try reader.read(), creator: try reader.read(), rewardsHeld: try reader.read())
        case 1: self = .assigned(try reader.read(), submission: try reader.read(), worker: try reader.read())
        case 2: self = .resultSent(try reader.read(), worker: try reader.read())
        case 3: self = .accepted(try reader.read(), worker: try reader.read(), paid: try reader.read())
        case 4: self = .rejected(try reader.read(), worker: try reader.read(), stakeForfeited: try reader.read())
        case 5: self = .abandoned(try reader.read(), worker: try reader.read(), stakeForfeited: try reader.read())
        case 6: self = .statusChanged(try reader.read(), to: try reader.read())
        case 7: self = .withdrawn(try reader.read(), amount: try reader.read())
        case let tag: throw .unknownTag(field: "tasks event", offset: start, tag: UInt64(tag))
        }
    }
}

/// Why the Tasks module refused a call (seed 003's error set, plus what validation needs).
public enum TasksError: RejectionReason {
    case invalidPaysAmount
    case invalidMaxAssignments(UInt32, max: UInt32)
    case taskEndTooEarly(expiresAt: UInt64, height: UInt64)
    case invalidQuestion
    case fieldTooLong(field: String, bytes: Int, max: Int)
    case tooManyItems(field: String, count: Int, max: Int)
    case missingAnnotationFiles
    case missingPath(field: String)
    case rewardOverflow
    case openTasksLimitReached(max: Int)
    case unknownTask(Identifier<WorkTask>)
    case creatorCannotWork(Identifier<WorkTask>)
    case taskClosed(Identifier<WorkTask>, status: WorkTask.Status)
    case taskExpired(Identifier<WorkTask>, expiredAt: UInt64)
    case maxAssignmentsReached(Identifier<WorkTask>, max: UInt32)
    case alreadyAssigned(Identifier<WorkTask>, worker: AccountID)
    case workerSubmissionLimit(worker: AccountID, max: Int)
    case unknownSubmission(Identifier<WorkTask>, worker: AccountID)
    case notAuthorized(Identifier<TaskSubmission>, account: AccountID)
    case invalidStatus(Identifier<TaskSubmission>, status: TaskSubmission.Status, expected: TaskSubmission.Status)
    case invalidResultSubmission(reason: String)
    case autoAcceptedTask(Identifier<WorkTask>)
    case missingReceipt(Identifier<TaskSubmission>)
    case taskNotExpired(Identifier<WorkTask>, expiresAt: UInt64)
    case nothingToWithdraw(Identifier<WorkTask>)
    case validationNotOverdue(Identifier<WorkTask>, untilHeight: UInt64)
    case tooManyTasks(creator: AccountID, max: Int)
    case notCreator(Identifier<WorkTask>, account: AccountID)
    /// Version 2: a task may stay open at most `Tasks.taskLifetimeBlocksMax` blocks.
    case taskLifetimeTooLong(expiresAt: UInt64, max: UInt64)
    /// Version 2: one creator may hold at most `Tasks.openTasksPerCreatorMax` open tasks.
    case creatorOpenTasksLimitReached(creator: AccountID, max: Int)
    case balances(BalancesError)

    public var code: String {
        switch self {
        case .invalidPaysAmount: "tasks.invalid_pays_amount"
        case .invalidMaxAssignments: "tasks.invalid_max_assignments"
        case .taskEndTooEarly: "tasks.task_end_too_early"
        case .invalidQuestion: "tasks.invalid_question"
        case .fieldTooLong: "tasks.field_too_long"
        case .tooManyItems: "tasks.too_many_items"
        case .missingAnnotationFiles: "tasks.missing_annotation_files"
        case .missingPath: "tasks.missing_path"
        case .rewardOverflow: "tasks.reward_overflow"
        case .openTasksLimitReached: "tasks.open_tasks_limit_reached"
        case .unknownTask: "tasks.task_not_found"
        case .creatorCannotWork: "tasks.creator_cannot_work"
        case .taskClosed: "tasks.task_closed"
        case .taskExpired: "tasks.task_expired"
        case .maxAssignmentsReached: "tasks.max_assignments_reached"
        case .alreadyAssigned: "tasks.already_assigned"
        case .workerSubmissionLimit: "tasks.worker_submission_limit"
        case .unknownSubmission: "tasks.submission_not_found"
        case .notAuthorized: "tasks.not_authorized"
        case .invalidStatus: "tasks.invalid_status"
        case .invalidResultSubmission: "tasks.invalid_result_submission"
        case .autoAcceptedTask: "tasks.auto_accepted_task"
        case .missingReceipt: "tasks.missing_receipt"
        case .taskNotExpired: "tasks.task_not_expired"
        case .nothingToWithdraw: "tasks.nothing_to_withdraw"
        case .validationNotOverdue: "tasks.validation_not_overdue"
        case .tooManyTasks: "tasks.too_many_tasks"
        case .notCreator: "tasks.not_creator"
        case .taskLifetimeTooLong: "tasks.task_lifetime_too_long"
        case .creatorOpenTasksLimitReached: "tasks.creator_open_tasks_limit_reached"
        case .balances(let error): error.code
        }
    }

    public var description: String {
        switch self {
        case .invalidPaysAmount: "the reward per result must be more than zero"
        case let .invalidMaxAssignments(count, max): "max assignments must be 1–\(max), got \(count)"
        case let .taskEndTooEarly(expiresAt, height): "the expiration height \(expiresAt) is not after the current height \(height)"
        case .invalidQuestion: "a task needs a question"
        case let .fieldTooLong(field, bytes, max): "\(field) is \(bytes) bytes, at most \(max) allowed"
        case let .tooManyItems(field, count, max): "\(count) \(field), at most \(max) allowed"
        case .missingAnnotationFiles: "an annotation task needs files to annotate"
        case .missingPath(let field): "\(field) needs a path"
        case .rewardOverflow: "reward × max assignments is more than the largest amount"
        case .openTasksLimitReached(let max): "\(max) tasks are open already"
        case .unknownTask(let id): "there is no task \(id)"
        case .creatorCannotWork(let id): "the creator of task \(id) cannot work on it"
        case let .taskClosed(id, status): "task \(id) is \(status)"
        case let .taskExpired(id, expiredAt): "task \(id) expired at height \(expiredAt)"
        case let .maxAssignmentsReached(id, max): "task \(id) already has its \(max) assignments"
        case let .alreadyAssigned(id, worker): "\(worker) already has an assignment on task \(id)"
        case let .workerSubmissionLimit(worker, max): "\(worker) already has \(max) submissions"
        case let .unknownSubmission(id, worker): "\(worker) has no assignment on task \(id)"
        case let .notAuthorized(id, account): "\(account) may not act on submission \(id)"
        case let .invalidStatus(id, status, expected): "submission \(id) is \(status), must be \(expected)"
        case .invalidResultSubmission(let reason): "invalid result: \(reason)"
        case .autoAcceptedTask(let id): "task \(id) accepts results automatically; there is nothing to validate"
        case .missingReceipt(let id): "a custom validator's verdict on submission \(id) must carry its run receipt's digests"
        case let .taskNotExpired(id, expiresAt): "task \(id) runs until height \(expiresAt)"
        case .nothingToWithdraw(let id): "task \(id) holds nothing that is not owed"
        case let .validationNotOverdue(id, until): "results on task \(id) can be judged until height \(until)"
        case let .tooManyTasks(creator, max): "\(creator) already created \(max) tasks"
        case let .notCreator(id, account): "\(account) is not the creator of task \(id)"
        case let .taskLifetimeTooLong(expiresAt, max): "a task expires at most \(max) blocks ahead; height \(expiresAt) is further"
        case let .creatorOpenTasksLimitReached(creator, max): "\(creator) already has \(max) open tasks: wait for one to close or expire"
        case .balances(let error): error.description
        }
    }
}
