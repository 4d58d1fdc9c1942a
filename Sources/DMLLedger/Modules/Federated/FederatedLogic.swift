import DMLCore

/// Federated version 1.
public struct FederatedV1: ModuleLogic {
    public var module: ModuleID { .federated }
    public var version: UInt32 { 1 }
    public init() {}

    public func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        let call = try decode(FederatedCall.self, body)
        do {
            switch call {
            case .create(let draft): try create(draft, by: origin, context: &context)
            case let .recordRound(id, round, model, devices):
                try recordRound(id, round: round, model: model, devices: devices, by: origin, context: &context)
            case let .complete(id, model): try complete(id, model: model, by: origin, context: &context)
            case .close(let id): try close(id, by: origin, context: &context)
            }
        } catch {
            throw .federated(error)
        }
    }

    /// - Throws (in order): `.zeroReward`, `.invalidRounds`, `.invalidDevicesPerRound`,
    ///   `.deadlinePassed`, `.rewardOverflow`, `.privacyWithoutDataset`, `.tooManyJobs`,
    ///   `.privacy(…)` (unknown dataset, δ too large, budget exceeded), `.balances(.insufficientBalance)`.
    /// - Emits: `.spent` (with a dataset), `.escrowed`, `.created`.
    func create(_ draft: FederatedDraft, by requester: AccountID, context: inout CallContext) throws(FederatedError) {
        guard !draft.rewardPerDevicePerRound.isZero else { throw .zeroReward }
        guard (1...Federated.roundsMax).contains(draft.rounds) else { throw .invalidRounds(draft.rounds, max: Federated.roundsMax) }
        guard (1...Federated.devicesPerRoundMax).contains(draft.devicesPerRound) else {
            throw .invalidDevicesPerRound(draft.devicesPerRound, max: Federated.devicesPerRoundMax)
        }
        let now = context.environment.timestampMilliseconds
        guard draft.deadline > now else { throw .deadlinePassed(deadline: draft.deadline, now: now) }
        guard let total = draft.rewardPerDevicePerRound.multiplied(by: UInt64(draft.rounds) * UInt64(draft.devicesPerRound)) else {
            throw .rewardOverflow
        }
        guard draft.dataset != nil || (draft.epsilonMicros == 0 && draft.deltaPicos == 0) else { throw .privacyWithoutDataset }
        let mine = context.get(Federated.byRequester, requester) ?? []
        guard mine.count < Federated.jobsPerRequesterMax else {
            throw .tooManyJobs(requester: requester, max: Federated.jobsPerRequesterMax)
        }
        let id = context.get(Federated.nextJob, Unit()) ?? Identifier(1)
        guard let next = id.next else { throw .tooManyJobs(requester: requester, max: 0) }
        // Both checks that can still fail run before anything is written: the budget, then the money.
        if let dataset = draft.dataset {
            do { try Privacy.checkSpend(dataset, epsilonMicros: draft.epsilonMicros, deltaPicos: draft.deltaPicos, in: context) }
            catch { throw .privacy(error) }
        }
        do { try Balances.deposit(total, from: requester, into: Federated.rewardEscrow(id), context: &context) } catch {
            throw .balances(error)
        }
        if let dataset = draft.dataset {
            Privacy.recordSpend(dataset, epsilonMicros: draft.epsilonMicros, deltaPicos: draft.deltaPicos,
                                by: .federatedJob(id.rawValue), context: &context)
        }
        context.set(Federated.nextJob, Unit(), next)
        context.set(Federated.jobs, id, FederatedJob(requester: requester, draft: draft, height: context.height, rewardsHeld: total))
        context.set(Federated.byRequester, requester, mine + [id])
        context.emit(FederatedEvent.created(id, requester: requester, rewardsHeld: total))
    }

    /// - Throws (in order): `.unknownJob`, `.notValidator`, `.jobNotOpen`, `.wrongRound`,
    ///   `.noDevices`, `.tooManyDevices`, `.duplicateDevice`, `.requesterCannotTrain`.
    /// - Emits: `.released` per device, `.roundRecorded`.
    func recordRound(_ id: Identifier<FederatedJob>, round: UInt32, model: Hash256, devices: [AccountID], by origin: AccountID,
                     context: inout CallContext) throws(FederatedError) {
        var job = try existing(id, context)
        guard origin == job.draft.validator else { throw .notValidator(id, account: origin) }
        guard job.status == .open else { throw .jobNotOpen(id, status: job.status) }
        let expected = job.roundsRecorded + 1
        guard round == expected, round <= job.draft.rounds else { throw .wrongRound(id, expected: expected, got: round) }
        guard !devices.isEmpty else { throw .noDevices(id) }
        guard devices.count <= Int(job.draft.devicesPerRound) else {
            throw .tooManyDevices(id, count: devices.count, max: job.draft.devicesPerRound)
        }
        var seen = Set<AccountID>()
        for device in devices {
            guard seen.insert(device).inserted else { throw .duplicateDevice(id, device: device) }
            guard device != job.requester else { throw .requesterCannotTrain(id) }
        }
        let reward = job.draft.rewardPerDevicePerRound
        // Cannot fail: an open job holds the reward of every unpaid device-round (the
        // invariant), and this round pays at most devicesPerRound of the rounds still unrecorded.
        for device in devices {
            do { try Balances.release(reward, from: Federated.rewardEscrow(id), to: device, context: &context) } catch {
                throw .balances(error)
            }
        }
        let paid = reward.multiplied(by: UInt64(devices.count)) ?? .max
        job.rewardsHeld = job.rewardsHeld.subtracting(paid) ?? .zero
        job.paidCount += UInt64(devices.count)
        job.roundsRecorded = round
        context.set(Federated.jobs, id, job)
        context.set(Federated.rounds, Pair(id, round), FederatedRound(model: model, devices: devices.sorted(), paid: paid,
                                                                      height: context.height))
        context.emit(FederatedEvent.roundRecorded(id, round: round, model: model, devices: UInt32(devices.count), paid: paid))
    }

    /// - Throws (in order): `.unknownJob`, `.notValidator`, `.jobNotOpen`, `.noRounds`.
    /// - Emits: `.released` (when anything is unpaid), `.completed`.
    func complete(_ id: Identifier<FederatedJob>, model: Hash256, by origin: AccountID, context: inout CallContext) throws(FederatedError) {
        var job = try existing(id, context)
        guard origin == job.draft.validator else { throw .notValidator(id, account: origin) }
        guard job.status == .open else { throw .jobNotOpen(id, status: job.status) }
        guard job.roundsRecorded > 0 else { throw .noRounds(id) }
        let refund = try refundUnpaid(&job, id, context: &context)
        job.status = .completed
        job.finalModel = model
        context.set(Federated.jobs, id, job)
        context.emit(FederatedEvent.completed(id, model: model, refunded: refund))
    }

    /// - Throws (in order): `.unknownJob`, `.notRequesterOrValidator`, `.jobNotOpen`,
    ///   `.deadlineNotReached`. Emits `.released` (when anything is unpaid), `.closed`.
    func close(_ id: Identifier<FederatedJob>, by origin: AccountID, context: inout CallContext) throws(FederatedError) {
        var job = try existing(id, context)
        guard origin == job.requester || origin == job.draft.validator else { throw .notRequesterOrValidator(id, account: origin) }
        guard job.status == .open else { throw .jobNotOpen(id, status: job.status) }
        guard context.environment.timestampMilliseconds >= job.draft.deadline else {
            throw .deadlineNotReached(id, deadline: job.draft.deadline)
        }
        let refund = try refundUnpaid(&job, id, context: &context)
        job.status = .closed
        context.set(Federated.jobs, id, job)
        context.emit(FederatedEvent.closed(id, refunded: refund))
    }

    private func refundUnpaid(_ job: inout FederatedJob, _ id: Identifier<FederatedJob>,
                              context: inout CallContext) throws(FederatedError) -> Amount {
        let refund = job.rewardsHeld
        if !refund.isZero {
            do { try Balances.release(refund, from: Federated.rewardEscrow(id), to: job.requester, context: &context) } catch {
                throw .balances(error)
            }
        }
        job.rewardsHeld = .zero
        return refund
    }

    private func existing(_ id: Identifier<FederatedJob>, _ context: CallContext) throws(FederatedError) -> FederatedJob {
        guard let job = Federated.job(id, in: context) else { throw .unknownJob(id) }
        return job
    }

    public func invariantViolations(in context: CallContext) -> [String] {
        var problems: [String] = []
        var escrows = Dictionary(uniqueKeysWithValues: Balances.escrows(of: .federated, in: context))
        var paid: [Identifier<FederatedJob>: UInt64] = [:]
        for (key, round) in context.entries(Federated.rounds) { paid[key.first, default: 0] += UInt64(round.devices.count) }
        for (id, job) in context.entries(Federated.jobs) {
            let held = escrows.removeValue(forKey: Federated.rewardEscrow(id)) ?? .zero
            if held != job.rewardsHeld { problems.append("federated job \(id) records \(job.rewardsHeld) held, its escrow holds \(held)") }
            if paid[id, default: 0] != job.paidCount {
                problems.append("federated job \(id) counts \(job.paidCount) paid, its rounds list \(paid[id, default: 0])")
            }
            let slots = UInt64(job.draft.rounds) * UInt64(job.draft.devicesPerRound)
            let expected: Amount = job.status == .open
                ? job.draft.rewardPerDevicePerRound.multiplied(by: slots - min(job.paidCount, slots)) ?? .max
                : .zero
            if job.rewardsHeld != expected { problems.append("federated job \(id) (\(job.status)) holds \(job.rewardsHeld), should hold \(expected)") }
        }
        for (escrow, amount) in escrows { problems.append("\(escrow) holds \(amount) for no federated job") }
        return problems
    }
}
