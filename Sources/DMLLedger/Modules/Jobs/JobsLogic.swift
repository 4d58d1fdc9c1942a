import DMLCore

/// Jobs version 1.
public struct JobsV1: ModuleLogic {
    public var module: ModuleID { .jobs }
    public var version: UInt32 { 1 }
    public init() {}

    public func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        let call = try decode(JobsCall.self, body)
        do {
            switch call {
            case .create(let draft): try create(draft, by: origin, context: &context)
            case let .accept(id, device, receipt, output):
                try accept(id, device: device, receipt: receipt, output: output, by: origin, context: &context)
            case .close(let id): try close(id, by: origin, context: &context)
            case let .recordReport(id, digest): try recordReport(id, digest, by: origin, context: &context)
            }
        } catch {
            throw .jobs(error)
        }
    }

    /// - Throws (in order): `.zeroReward`, `.invalidDevices`, `.deadlinePassed`, `.fieldTooLong`,
    ///   `.rewardOverflow`, `.tooManyJobs`, `.balances(.insufficientBalance)`.
    /// - Emits: `.escrowed`, `.created`.
    func create(_ draft: JobDraft, by requester: AccountID, context: inout CallContext) throws(JobsError) {
        guard !draft.rewardPerDevice.isZero else { throw .zeroReward }
        guard draft.devices > 0, draft.devices <= Jobs.devicesMax else { throw .invalidDevices(draft.devices, max: Jobs.devicesMax) }
        let now = context.environment.timestampMilliseconds
        guard draft.deadline > now else { throw .deadlinePassed(deadline: draft.deadline, now: now) }
        guard draft.requirements.utf8.count <= Jobs.requirementsBytesMax else {
            throw .fieldTooLong(field: "requirements", bytes: draft.requirements.utf8.count, max: Jobs.requirementsBytesMax)
        }
        guard let total = draft.rewardPerDevice.multiplied(by: UInt64(draft.devices)) else { throw .rewardOverflow }
        let mine = context.get(Jobs.byRequester, requester) ?? []
        guard mine.count < Jobs.jobsPerRequesterMax else { throw .tooManyJobs(requester: requester, max: Jobs.jobsPerRequesterMax) }
        let id = context.get(Jobs.nextJob, Unit()) ?? Identifier(1)
        guard let next = id.next else { throw .tooManyJobs(requester: requester, max: 0) }
        do { try Balances.deposit(total, from: requester, into: Jobs.rewardEscrow(id), context: &context) } catch { throw .balances(error) }
        context.set(Jobs.nextJob, Unit(), next)
        context.set(Jobs.jobs, id, Job(requester: requester, draft: draft, height: context.height, rewardsHeld: total))
        context.set(Jobs.byRequester, requester, mine + [id])
        context.emit(JobsEvent.created(id, requester: requester, rewardsHeld: total))
    }

    /// - Throws (in order): `.unknownJob`, `.notValidator`, `.jobNotOpen`, `.requesterCannotWork`,
    ///   `.alreadyPaid`. (An open job with a free slot always holds the reward for it.)
    /// - Emits: `.released`, `.accepted`, and `.completed` when the last slot is paid.
    func accept(_ id: Identifier<Job>, device: AccountID, receipt: Hash256, output: Hash256, by origin: AccountID,
                context: inout CallContext) throws(JobsError) {
        var job = try existing(id, context)
        guard origin == job.draft.validator else { throw .notValidator(id, account: origin) }
        guard job.status == .open else { throw .jobNotOpen(id, status: job.status) }
        guard device != job.requester else { throw .requesterCannotWork(id) }
        guard Jobs.payment(id, device: device, in: context) == nil else { throw .alreadyPaid(id, device: device) }
        let reward = job.draft.rewardPerDevice
        do { try Balances.release(reward, from: Jobs.rewardEscrow(id), to: device, context: &context) } catch { throw .balances(error) }
        // Cannot underflow: an open job holds the reward of every unpaid slot (the invariant).
        job.rewardsHeld = job.rewardsHeld.subtracting(reward) ?? .zero
        job.accepted += 1
        let completed = job.accepted == job.draft.devices
        if completed { job.status = .completed }
        context.set(Jobs.jobs, id, job)
        context.set(Jobs.payments, Pair(id, device), JobPayment(receipt: receipt, output: output, paid: reward, height: context.height))
        context.emit(JobsEvent.accepted(id, device: device, receipt: receipt, paid: reward))
        if completed { context.emit(JobsEvent.completed(id)) }
    }

    /// - Throws (in order): `.unknownJob`, `.notRequesterOrValidator`, `.jobNotOpen`,
    ///   `.deadlineNotReached`. Emits `.released` (when anything is unpaid), `.closed`.
    func close(_ id: Identifier<Job>, by origin: AccountID, context: inout CallContext) throws(JobsError) {
        var job = try existing(id, context)
        guard origin == job.requester || origin == job.draft.validator else { throw .notRequesterOrValidator(id, account: origin) }
        guard job.status == .open else { throw .jobNotOpen(id, status: job.status) }
        guard context.environment.timestampMilliseconds >= job.draft.deadline else {
            throw .deadlineNotReached(id, deadline: job.draft.deadline)
        }
        let refund = job.rewardsHeld
        if !refund.isZero {
            do { try Balances.release(refund, from: Jobs.rewardEscrow(id), to: job.requester, context: &context) } catch {
                throw .balances(error)
            }
        }
        job.rewardsHeld = .zero
        job.status = .closed
        context.set(Jobs.jobs, id, job)
        context.emit(JobsEvent.closed(id, refunded: refund))
    }

    /// - Throws (in order): `.unknownJob`, `.notValidator`. Emits `.reportRecorded`.
    func recordReport(_ id: Identifier<Job>, _ digest: Hash256, by origin: AccountID, context: inout CallContext) throws(JobsError) {
        var job = try existing(id, context)
        guard origin == job.draft.validator else { throw .notValidator(id, account: origin) }
        job.report = digest
        context.set(Jobs.jobs, id, job)
        context.emit(JobsEvent.reportRecorded(id, digest))
    }

    private func existing(_ id: Identifier<Job>, _ context: CallContext) throws(JobsError) -> Job {
        guard let job = Jobs.job(id, in: context) else { throw .unknownJob(id) }
        return job
    }

    public func invariantViolations(in context: CallContext) -> [String] {
        var problems: [String] = []
        var escrows = Dictionary(uniqueKeysWithValues: Balances.escrows(of: .jobs, in: context))
        var paidCount: [Identifier<Job>: UInt32] = [:]
        for (key, _) in context.entries(Jobs.payments) { paidCount[key.first, default: 0] += 1 }
        for (id, job) in context.entries(Jobs.jobs) {
            let held = escrows.removeValue(forKey: Jobs.rewardEscrow(id)) ?? .zero
            if held != job.rewardsHeld { problems.append("job \(id) records \(job.rewardsHeld) held, its escrow holds \(held)") }
            if paidCount[id, default: 0] != job.accepted { problems.append("job \(id) counts \(job.accepted) accepted, \(paidCount[id, default: 0]) paid") }
            if job.accepted > job.draft.devices { problems.append("job \(id) paid \(job.accepted) of \(job.draft.devices) devices") }
            let expected: Amount = job.status == .open
                ? job.draft.rewardPerDevice.multiplied(by: UInt64(job.draft.devices - min(job.accepted, job.draft.devices))) ?? .max
                : .zero
            if job.rewardsHeld != expected { problems.append("job \(id) (\(job.status)) holds \(job.rewardsHeld), should hold \(expected)") }
        }
        for (escrow, amount) in escrows { problems.append("\(escrow) holds \(amount) for no job") }
        return problems
    }
}
