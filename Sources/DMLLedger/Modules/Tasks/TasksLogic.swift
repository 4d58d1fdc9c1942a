import DMLCore

/// Tasks version 1: any lifetime, and one creator may fill the global open-task index (10 000
/// near-free tasks that never expire froze the module for everyone; kept only so that old
/// blocks replay as they were applied).
public struct TasksV1: ModuleLogic {
    public var module: ModuleID { .tasks }
    public var version: UInt32 { 1 }
    public init() {}

    public func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        try TasksRules(boundsOpenTasks: false).dispatch(decode(TasksCall.self, body), origin: origin, context: &context)
    }

    public func invariantViolations(in context: CallContext) -> [String] { TasksRules.invariantViolations(in: context) }
}

/// Tasks version 2: a task expires at most `Tasks.taskLifetimeBlocksMax` blocks ahead, and a
/// creator holds at most `Tasks.openTasksPerCreatorMax` open tasks.
public struct TasksV2: ModuleLogic {
    public var module: ModuleID { .tasks }
    public var version: UInt32 { 2 }
    public init() {}

    public func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        try TasksRules(boundsOpenTasks: true).dispatch(decode(TasksCall.self, body), origin: origin, context: &context)
    }

    public func invariantViolations(in context: CallContext) -> [String] { TasksRules.invariantViolations(in: context) }
}

/// The calls, parameterised by the one rule that differs between versions.
struct TasksRules: Sendable {
    let boundsOpenTasks: Bool

    func dispatch(_ call: TasksCall, origin: AccountID, context: inout CallContext) throws(TransactionError) {
        do {
            switch call {
            case .create(let draft): try create(draft, by: origin, context: &context)
            case .assign(let id): try assign(id, worker: origin, context: &context)
            case let .sendResult(task, result): try sendResult(on: task, result, by: origin, context: &context)
            case let .validate(task, worker, verdict):
                try validate(try existing(task, worker, context).id, verdict, by: origin, context: &context)
            case let .settle(task, worker): try settle(try existing(task, worker, context).id, context: &context)
            case .withdraw(let id): try withdraw(id, by: origin, context: &context)
            }
        } catch {
            throw .tasks(error)
        }
    }

    /// - Throws (in order, as seed 003): `.invalidPaysAmount`, `.invalidMaxAssignments`,
    ///   `.taskEndTooEarly`, `.invalidQuestion`, `.fieldTooLong` (question), the kind's own
    ///   fields (annotation: `.missingAnnotationFiles`, then per list `.tooManyItems` and each
    ///   item's `.fieldTooLong`, then credentials, labels, coordinates, JSON; scripts and models:
    ///   `.missingPath`, `.fieldTooLong`), `.rewardOverflow`, `.tooManyTasks`,
    ///   `.openTasksLimitReached` (after dropping expired tasks from the index),
    ///   `.balances(.insufficientBalance)`.
    /// - Emits: `.escrowed`, `.created`.
    func create(_ draft: WorkTaskDraft, by creator: AccountID, context: inout CallContext) throws(TasksError) {
        guard !draft.rewardPerResult.isZero else { throw .invalidPaysAmount }
        guard draft.maxAssignments > 0, draft.maxAssignments <= Tasks.maxAssignmentsMax else {
            throw .invalidMaxAssignments(draft.maxAssignments, max: Tasks.maxAssignmentsMax)
        }
        guard draft.expiresAtHeight > context.height else { throw .taskEndTooEarly(expiresAt: draft.expiresAtHeight, height: context.height) }
        if boundsOpenTasks && draft.expiresAtHeight - context.height > Tasks.taskLifetimeBlocksMax {
            throw .taskLifetimeTooLong(expiresAt: draft.expiresAtHeight, max: Tasks.taskLifetimeBlocksMax)
        }
        guard !draft.question.isEmpty else { throw .invalidQuestion }
        try check("question", draft.question, Tasks.questionBytesMax)
        try validate(draft.kind)
        guard let total = draft.rewardPerResult.multiplied(by: UInt64(draft.maxAssignments)) else { throw .rewardOverflow }
        let created = context.get(Tasks.byCreator, creator) ?? []
        guard created.count < Tasks.tasksPerCreatorMax else { throw .tooManyTasks(creator: creator, max: Tasks.tasksPerCreatorMax) }
        var open = context.get(Tasks.openTasks, Unit()) ?? []
        if open.count >= Tasks.openTasksMax {
            // Expired tasks take no more assignments: drop them from the index rather than refuse.
            open = open.filter { id in (Tasks.task(id, in: context)?.draft.expiresAtHeight ?? 0) > context.height }
        }
        if boundsOpenTasks {
            // Bounded work: the index holds at most `openTasksMax` entries.
            let mine = open.count(where: { id in
                guard let task = Tasks.task(id, in: context) else { return false }
                return task.creator == creator && task.draft.expiresAtHeight > context.height
            })
            guard mine < Tasks.openTasksPerCreatorMax else {
                throw .creatorOpenTasksLimitReached(creator: creator, max: Tasks.openTasksPerCreatorMax)
            }
        }
        guard open.count < Tasks.openTasksMax else { throw .openTasksLimitReached(max: Tasks.openTasksMax) }
        let id = context.get(Tasks.nextTask, Unit()) ?? Identifier(1)
        guard let next = id.next else { throw .openTasksLimitReached(max: 0) }
        do { try Balances.deposit(total, from: creator, into: Tasks.rewardEscrow(id), context: &context) } catch { throw .balances(error) }
        open.append(id)
        context.set(Tasks.nextTask, Unit(), next)
        context.set(Tasks.tasks, id, WorkTask(creator: creator, draft: draft, height: context.height, rewardsHeld: total))
        context.set(Tasks.openTasks, Unit(), open)
        context.set(Tasks.byCreator, creator, created + [id])
        context.emit(TasksEvent.created(id, creator: creator, rewardsHeld: total))
    }

    private func validate(_ kind: TaskKind) throws(TasksError) {
        switch kind {
        case let .dataAnnotation(_, files, _, credentials, samples, labels, coordinates, json):
            guard !files.isEmpty else { throw .missingAnnotationFiles }
            for (name, list) in [("annotation files", files), ("media samples", samples)] {
                guard list.count <= Tasks.filesMax else { throw .tooManyItems(field: name, count: list.count, max: Tasks.filesMax) }
                for item in list { try check(name, item, Tasks.pathBytesMax) }
            }
            try check("credentials", credentials ?? [], Tasks.credentialsBytesMax)
            try check("class labels", labels ?? "", Tasks.labelsBytesMax)
            try check("class coordinates", coordinates ?? "", Tasks.coordinatesBytesMax)
            try check("json", json ?? "", Tasks.jsonBytesMax)
        case .modelContribution(let script): try validate(script, field: "model contributor script")
        case .modelEngineering(let model): try validate(model, field: "model engineer path")
        }
    }

    private func validate(_ artifact: StoredArtifact, field: String) throws(TasksError) {
        guard !artifact.path.isEmpty else { throw .missingPath(field: field) }
        try check(field, artifact.path, Tasks.pathBytesMax)
        try check("credentials", artifact.credentials ?? [], Tasks.credentialsBytesMax)
    }

    private func check(_ field: String, _ text: String, _ max: Int) throws(TasksError) {
        guard text.utf8.count <= max else { throw .fieldTooLong(field: field, bytes: text.utf8.count, max: max) }
    }

    private func check(_ field: String, _ bytes: [UInt8], _ max: Int) throws(TasksError) {
        guard bytes.count <= max else { throw .fieldTooLong(field: field, bytes: bytes.count, max: max) }
    }

    /// - Throws (in order): `.unknownTask`, `.creatorCannotWork`, `.taskClosed`, `.taskExpired`,
    ///   `.maxAssignmentsReached`, `.alreadyAssigned`, `.workerSubmissionLimit`,
    ///   `.balances(.insufficientBalance)` (stake). Emits `.escrowed` (stake), `.assigned`,
    ///   `.statusChanged` (in progress, on the first).
    func assign(_ id: Identifier<WorkTask>, worker: AccountID, context: inout CallContext) throws(TasksError) {
        var task = try existing(id, context)
        guard task.creator != worker else { throw .creatorCannotWork(id) }
        guard task.status == .created || task.status == .inProgress else { throw .taskClosed(id, status: task.status) }
        guard context.height < task.draft.expiresAtHeight else { throw .taskExpired(id, expiredAt: task.draft.expiresAtHeight) }
        guard task.assignments < task.draft.maxAssignments else { throw .maxAssignmentsReached(id, max: task.draft.maxAssignments) }
        var slots = context.get(Tasks.taskSubmissions, id) ?? []
        guard Tasks.submission(on: id, by: worker, in: context) == nil else { throw .alreadyAssigned(id, worker: worker) }
        var mine = context.get(Tasks.workerSubmissions, worker) ?? []
        guard mine.count < Tasks.submissionsPerWorkerMax else { throw .workerSubmissionLimit(worker: worker, max: Tasks.submissionsPerWorkerMax) }
        let submission = context.get(Tasks.nextSubmission, Unit()) ?? Identifier(1)
        guard let nextSubmission = submission.next else { throw .workerSubmissionLimit(worker: worker, max: 0) }
        let stake = task.draft.stakePerAssignment
        if !stake.isZero {
            do { try Balances.deposit(stake, from: worker, into: Tasks.stakeEscrow(id), context: &context) } catch { throw .balances(error) }
        }
        context.set(Tasks.nextSubmission, Unit(), nextSubmission)
        slots.append(submission)
        mine.append(submission)
        task.assignments += 1
        let started = task.status == .created
        if started { task.status = .inProgress }
        if task.assignments == task.draft.maxAssignments {
            context.set(Tasks.openTasks, Unit(), (context.get(Tasks.openTasks, Unit()) ?? []).filter { $0 != id })
        }
        context.set(Tasks.tasks, id, task)
        context.set(Tasks.submissions, submission, TaskSubmission(task: id, worker: worker, assignedAtHeight: context.height, stake: stake))
        context.set(Tasks.taskSubmissions, id, slots)
        context.set(Tasks.workerSubmissions, worker, mine)
        context.set(Tasks.assignments, Pair(id, worker), submission)
        context.emit(TasksEvent.assigned(id, submission: submission, worker: worker))
        if started { context.emit(TasksEvent.statusChanged(id, to: .inProgress)) }
    }

    /// - Throws (in order): `.unknownTask`, `.unknownSubmission` (the caller has no assignment
    ///   on the task), `.invalidStatus`, `.taskExpired`, `.invalidResultSubmission`. Emits
    ///   `.resultSent`, and for AutoAccept what `accept` emits.
    func sendResult(on taskID: Identifier<WorkTask>, _ result: TaskSubmission.Result, by worker: AccountID,
                    context: inout CallContext) throws(TasksError) {
        _ = try existing(taskID, context)
        let found = try existing(taskID, worker, context)
        let id = found.id
        var submission = found.submission
        guard submission.status == .assigned else { throw .invalidStatus(id, status: submission.status, expected: .assigned) }
        let task = try existing(submission.task, context)
        guard context.height < task.draft.expiresAtHeight else { throw .taskExpired(submission.task, expiredAt: task.draft.expiresAtHeight) }
        switch result {
        case .inline(let text):
            guard !text.isEmpty else { throw .invalidResultSubmission(reason: "an inline result cannot be empty") }
            guard text.utf8.count <= Tasks.resultBytesMax else {
                throw .invalidResultSubmission(reason: "an inline result is at most \(Tasks.resultBytesMax) bytes; store larger ones")
            }
        case .stored(let artifact):
            guard !artifact.path.isEmpty else { throw .invalidResultSubmission(reason: "a stored result needs a path") }
            guard artifact.path.utf8.count <= Tasks.pathBytesMax, (artifact.credentials ?? []).count <= Tasks.credentialsBytesMax else {
                throw .invalidResultSubmission(reason: "the path or credentials are too long")
            }
        }
        submission.result = result
        submission.status = .pendingValidation
        context.set(Tasks.submissions, id, submission)
        context.emit(TasksEvent.resultSent(id, worker: worker))
        if task.draft.validation == .autoAccept { try accept(id, context: &context) }
    }

    /// The creator's (ManualAccept) or the named validator's (CustomAccept) verdict.
    /// - Throws (in order): `.unknownSubmission` (checked by the dispatcher), `.autoAcceptedTask`, `.notAuthorized`,
    ///   `.missingReceipt` (CustomAccept), `.invalidStatus`. Emits what `accept` or `reject` emits.
    func validate(_ id: Identifier<TaskSubmission>, _ verdict: ValidationVerdict, by actor: AccountID,
                  context: inout CallContext) throws(TasksError) {
        let submission = try existing(id, context)
        let task = try existing(submission.task, context)
        switch task.draft.validation {
        case .autoAccept: throw .autoAcceptedTask(submission.task)
        case .manualAccept:
            guard actor == task.creator else { throw .notAuthorized(id, account: actor) }
        case .customAccept(let validator, _):
            guard actor == validator else { throw .notAuthorized(id, account: actor) }
            guard verdict.inputDigest != nil, verdict.outputDigest != nil else { throw .missingReceipt(id) }
        }
        guard submission.status == .pendingValidation else { throw .invalidStatus(id, status: submission.status, expected: .pendingValidation) }
        if verdict.accept { try accept(id, context: &context) } else { try settleAgainst(id, status: .rejected, context: &context) }
    }

    /// Pays the reward, returns the stake; completes the task when every slot is accepted.
    private func accept(_ id: Identifier<TaskSubmission>, context: inout CallContext) throws(TasksError) {
        var submission = try existing(id, context)
        var task = try existing(submission.task, context)
        let reward = task.draft.rewardPerResult
        guard let held = task.rewardsHeld.subtracting(reward) else { throw .balances(.escrowShort(escrow: Tasks.rewardEscrow(submission.task), needed: reward, held: task.rewardsHeld)) }
        do {
            try Balances.release(reward, from: Tasks.rewardEscrow(submission.task), to: submission.worker, context: &context)
            if !submission.stake.isZero {
                try Balances.release(submission.stake, from: Tasks.stakeEscrow(submission.task), to: submission.worker, context: &context)
            }
        } catch {
            throw .balances(error)
        }
        submission.status = .accepted
        submission.paidAmount = reward
        submission.paidAtHeight = context.height
        task.rewardsHeld = held
        task.accepted += 1
        context.set(Tasks.submissions, id, submission)
        context.emit(TasksEvent.accepted(id, worker: submission.worker, paid: reward))
        if task.accepted == task.draft.maxAssignments {
            task.status = .completed
            context.emit(TasksEvent.statusChanged(submission.task, to: .completed))
        }
        context.set(Tasks.tasks, submission.task, task)
    }

    /// Rejects or abandons a submission: its stake goes to the creator, its reward stays owed
    /// to nobody (the creator withdraws it after expiry).
    private func settleAgainst(_ id: Identifier<TaskSubmission>, status: TaskSubmission.Status, context: inout CallContext) throws(TasksError) {
        var submission = try existing(id, context)
        let task = try existing(submission.task, context)
        if !submission.stake.isZero {
            do { try Balances.release(submission.stake, from: Tasks.stakeEscrow(submission.task), to: task.creator, context: &context) } catch {
                throw .balances(error)
            }
        }
        let forfeited = submission.stake
        submission.status = status
        context.set(Tasks.submissions, id, submission)
        context.emit(status == .rejected ? TasksEvent.rejected(id, worker: submission.worker, stakeForfeited: forfeited)
                                         : TasksEvent.abandoned(id, worker: submission.worker, stakeForfeited: forfeited))
    }

    /// After expiry, anyone settles a stalled assignment: one whose result never came is
    /// abandoned (its stake goes to the creator); one whose result is still unjudged
    /// `validationGraceBlocks` after expiry is accepted (the worker is paid).
    /// - Throws (in order): `.unknownSubmission` (checked by the dispatcher), `.taskNotExpired`
    ///   (assigned), `.validationNotOverdue` (pending validation), `.invalidStatus` (already
    ///   settled). Emits `.abandoned`, or what `accept` emits.
    func settle(_ id: Identifier<TaskSubmission>, context: inout CallContext) throws(TasksError) {
        let submission = try existing(id, context)
        let task = try existing(submission.task, context)
        let expiry = task.draft.expiresAtHeight
        switch submission.status {
        case .assigned:
            guard context.height >= expiry else { throw .taskNotExpired(submission.task, expiresAt: expiry) }
            try settleAgainst(id, status: .abandoned, context: &context)
        case .pendingValidation:
            let overdue = expiry &+ Tasks.validationGraceBlocks
            guard context.height >= overdue else { throw .validationNotOverdue(submission.task, untilHeight: overdue) }
            try accept(id, context: &context)
        default:
            throw .invalidStatus(id, status: submission.status, expected: .assigned)
        }
    }

    /// After expiry, the creator takes back every reward no live result can still claim, and
    /// the task leaves the open index; once nothing is owed it is withdrawn.
    /// - Throws (in order): `.unknownTask`, `.notCreator`, `.taskNotExpired`, `.nothingToWithdraw`
    ///   (nothing free and nothing left to close). Emits `.released` and `.withdrawn` (if
    ///   anything was free), `.statusChanged` (withdrawn) once nothing is owed.
    func withdraw(_ id: Identifier<WorkTask>, by actor: AccountID, context: inout CallContext) throws(TasksError) {
        var task = try existing(id, context)
        guard task.creator == actor else { throw .notCreator(id, account: actor) }
        guard context.height >= task.draft.expiresAtHeight else { throw .taskNotExpired(id, expiresAt: task.draft.expiresAtHeight) }
        let owed = Self.owedRewards(task, id, context)
        let free = task.rewardsHeld.subtracting(owed) ?? .zero
        let closes = owed.isZero && (task.status == .created || task.status == .inProgress)
        guard !free.isZero || closes else { throw .nothingToWithdraw(id) }
        if !free.isZero {
            do { try Balances.release(free, from: Tasks.rewardEscrow(id), to: actor, context: &context) } catch { throw .balances(error) }
            task.rewardsHeld = owed
            context.emit(TasksEvent.withdrawn(id, amount: free))
        }
        context.set(Tasks.openTasks, Unit(), (context.get(Tasks.openTasks, Unit()) ?? []).filter { $0 != id })
        if closes {
            task.status = .withdrawn
            context.emit(TasksEvent.statusChanged(id, to: .withdrawn))
        }
        context.set(Tasks.tasks, id, task)
    }

    /// Rewards that live results (assigned or awaiting validation) may still claim.
    private static func owedRewards(_ task: WorkTask, _ id: Identifier<WorkTask>, _ context: CallContext) -> Amount {
        let live = (context.get(Tasks.taskSubmissions, id) ?? []).filter {
            let status = Tasks.submission($0, in: context)?.status
            return status == .assigned || status == .pendingValidation
        }.count
        return task.draft.rewardPerResult.multiplied(by: UInt64(live)) ?? .max
    }

    private func existing(_ id: Identifier<WorkTask>, _ context: CallContext) throws(TasksError) -> WorkTask {
        guard let task = Tasks.task(id, in: context) else { throw .unknownTask(id) }
        return task
    }

    private func existing(_ id: Identifier<TaskSubmission>, _ context: CallContext) throws(TasksError) -> TaskSubmission {
        guard let submission = Tasks.submission(id, in: context) else {
            preconditionFailure("submission \(id) is listed but missing")
        }
        return submission
    }

    private func existing(_ task: Identifier<WorkTask>, _ worker: AccountID, _ context: CallContext) throws(TasksError)
        -> (id: Identifier<TaskSubmission>, submission: TaskSubmission) {
        guard let found = Tasks.submission(on: task, by: worker, in: context) else { throw .unknownSubmission(task, worker: worker) }
        return found
    }

    static func invariantViolations(in context: CallContext) -> [String] {
        var problems: [String] = []
        var escrows = Dictionary(uniqueKeysWithValues: Balances.escrows(of: .tasks, in: context))
        for (id, task) in context.entries(Tasks.tasks) {
            let held = escrows.removeValue(forKey: Tasks.rewardEscrow(id)) ?? .zero
            if held != task.rewardsHeld { problems.append("task \(id) records \(task.rewardsHeld) of rewards, its escrow holds \(held)") }
            if task.rewardsHeld < Self.owedRewards(task, id, context) { problems.append("task \(id) cannot pay its live results") }
            let slots = context.get(Tasks.taskSubmissions, id) ?? []
            if slots.count != Int(task.assignments) || task.assignments > task.draft.maxAssignments {
                problems.append("task \(id) counts \(task.assignments) assignments, has \(slots.count), allows \(task.draft.maxAssignments)")
            }
            let stakes = Amount.sum(slots.compactMap { Tasks.submission($0, in: context) }
                .filter { $0.status == .assigned || $0.status == .pendingValidation }.map(\.stake)) ?? .max
            let stakeHeld = escrows.removeValue(forKey: Tasks.stakeEscrow(id)) ?? .zero
            if stakes != stakeHeld { problems.append("task \(id) has \(stakes) of live stakes, its stake escrow holds \(stakeHeld)") }
        }
        for (escrow, amount) in escrows { problems.append("\(escrow) holds \(amount) for no task") }
        return problems
    }
}
