import DMLCore

/// Tasks: DecentralML's work items — data annotation, model contribution, model engineering
/// (seed 003), with the validation and payouts the original promised and never built.
///
/// ```
/// task:        Created ──first assignment──▶ InProgress ──every slot accepted──▶ Completed
///                                                  └──creator withdraws after expiry──▶ Withdrawn
/// submission:  Assigned ──result──▶ PendingValidation ──▶ Accepted (paid) | Rejected (stake forfeited)
///                 └──expiry, anyone──▶ Abandoned (stake forfeited)
/// ```
///
/// `rewardPerResult × maxAssignments` is escrowed at creation. At most `maxAssignments` workers
/// are assigned — exactly (the original admitted one too many) — once each, never the creator.
/// AutoAccept pays on submission; ManualAccept lets the creator decide; CustomAccept takes only
/// the named validator's verdict, which must carry its run receipt's digests. Optional stakes
/// are held at assignment, returned on acceptance, forfeited to the creator on rejection or
/// abandonment. After expiry the creator withdraws whatever is not owed to pending results.
///
/// A result left unjudged `validationGraceBlocks` after expiry can be settled by anyone, and is
/// then accepted: a creator who disappears cannot keep a worker's reward and stake.
///
/// Invariants: each reward escrow equals its task's `rewardsHeld` and covers every result that
/// may still be accepted; each stake escrow equals the stakes of live submissions.
public enum Tasks {
    public static let questionBytesMax = 2_048
    public static let pathBytesMax = 512
    public static let credentialsBytesMax = 1_024
    public static let filesMax = 100
    public static let labelsBytesMax = 1_024
    public static let coordinatesBytesMax = 2_048
    public static let jsonBytesMax = 4_096
    public static let resultBytesMax = 2_048
    public static let maxAssignmentsMax: UInt32 = 10_000
    public static let openTasksMax = 10_000
    public static let submissionsPerWorkerMax = 10_000
    public static let tasksPerCreatorMax = 10_000
    /// Version 2: how many unexpired open tasks one creator may hold, so that no one account
    /// fills `openTasksMax` for everyone (filling it now takes a hundred funded accounts).
    public static let openTasksPerCreatorMax = 100
    /// Version 2: how far ahead a task may expire; past its expiry a task is dropped from the
    /// full open index, so no task holds a place for ever.
    public static let taskLifetimeBlocksMax: UInt64 = 1_000_000
    /// How long after expiry a creator (or validator) has to judge a result before anyone can
    /// settle it as accepted.
    public static let validationGraceBlocks: UInt64 = 1_000

    static let tasks = StorageMap<Identifier<WorkTask>, WorkTask>(module: .tasks, map: 0)
    static let nextTask = StorageMap<Unit, Identifier<WorkTask>>(module: .tasks, map: 1)
    static let submissions = StorageMap<Identifier<TaskSubmission>, TaskSubmission>(module: .tasks, map: 2)
    static let nextSubmission = StorageMap<Unit, Identifier<TaskSubmission>>(module: .tasks, map: 3)
    static let openTasks = StorageMap<Unit, [Identifier<WorkTask>]>(module: .tasks, map: 4)
    static let taskSubmissions = StorageMap<Identifier<WorkTask>, [Identifier<TaskSubmission>]>(module: .tasks, map: 5)
    static let workerSubmissions = StorageMap<AccountID, [Identifier<TaskSubmission>]>(module: .tasks, map: 6)
    static let byCreator = StorageMap<AccountID, [Identifier<WorkTask>]>(module: .tasks, map: 7)
    /// (task, worker) → that worker's submission on the task.
    static let assignments = StorageMap<Pair<Identifier<WorkTask>, AccountID>, Identifier<TaskSubmission>>(module: .tasks, map: 8)

    public static func rewardEscrow(_ id: Identifier<WorkTask>) -> EscrowID { EscrowID(module: .tasks, purpose: 0, id: id.rawValue) }
    public static func stakeEscrow(_ id: Identifier<WorkTask>) -> EscrowID { EscrowID(module: .tasks, purpose: 1, id: id.rawValue) }

    public static func task(_ id: Identifier<WorkTask>, in context: CallContext) -> WorkTask? { context.get(tasks, id) }

    public static func submission(_ id: Identifier<TaskSubmission>, in context: CallContext) -> TaskSubmission? {
        context.get(submissions, id)
    }

    /// `worker`'s submission on `task`, with its identifier.
    public static func submission(on task: Identifier<WorkTask>, by worker: AccountID, in context: CallContext)
        -> (id: Identifier<TaskSubmission>, submission: TaskSubmission)? {
        guard let id = context.get(assignments, Pair(task, worker)),
              let submission = submission(id, in: context) else { return nil }
        return (id, submission)
    }

    /// Paged lists: open tasks, a creator's tasks, a task's results, a worker's submissions.
    public static func openTasks(offset: Int, limit: Int, in context: CallContext) -> (page: [Identifier<WorkTask>], total: Int) {
        page(context.get(openTasks, Unit()) ?? [], offset, limit)
    }

    public static func tasks(by creator: AccountID, offset: Int, limit: Int, in context: CallContext) -> (page: [Identifier<WorkTask>], total: Int) {
        page(context.get(byCreator, creator) ?? [], offset, limit)
    }

    public static func results(of task: Identifier<WorkTask>, offset: Int, limit: Int, in context: CallContext)
        -> (page: [Identifier<TaskSubmission>], total: Int) {
        page(context.get(taskSubmissions, task) ?? [], offset, limit)
    }

    public static func submissions(of worker: AccountID, offset: Int, limit: Int, in context: CallContext)
        -> (page: [Identifier<TaskSubmission>], total: Int) {
        page(context.get(workerSubmissions, worker) ?? [], offset, limit)
    }

    static func page<Element>(_ all: [Element], _ offset: Int, _ limit: Int) -> (page: [Element], total: Int) {
        (Array(all.dropFirst(max(0, offset)).prefix(max(0, limit))), all.count)
    }
}
