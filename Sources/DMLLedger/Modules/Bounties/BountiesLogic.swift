import DMLCore

/// Bounties version 1.
public struct BountiesV1: ModuleLogic {
    public var module: ModuleID { .bounties }
    public var version: UInt32 { 1 }
    public init() {}

    public func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        let call = try decode(BountiesCall.self, body)
        do {
            switch call {
            case let .create(draft, fund): try create(draft, fund: fund, by: origin, context: &context)
            case let .fund(id, amount): try fund(id, amount: amount, by: origin, context: &context)
            case .openEnrollment(let id): try move(id, from: .pending, to: .enrollmentOpen, by: origin, context: &context)
            case .closeEnrollment(let id): try move(id, from: .enrollmentOpen, to: .enrollmentClosed, by: origin, context: &context)
            case .openSubmissions(let id): try move(id, from: .enrollmentClosed, to: .submissionsOpen, by: origin, context: &context)
            case .closeSubmissions(let id): try move(id, from: .submissionsOpen, to: .submissionsClosed, by: origin, context: &context)
            case .enroll(let id): try enroll(id, participant: origin, context: &context)
            case let .submit(id, artifact, note): try submit(id, artifact: artifact, note: note, by: origin, context: &context)
            case let .award(id, winners): try award(id, winners: winners, by: origin, forced: false, context: &context)
            case .payout(let id): try payout(id, by: origin, context: &context)
            case .cancel(let id): try cancel(id, by: origin, forced: false, context: &context)
            case .expire(let id): try expire(id, context: &context)
            case let .forceStatus(id, status): try forceStatus(id, status, by: origin, context: &context)
            case let .forceWinners(id, winners): try award(id, winners: winners, by: origin, forced: true, context: &context)
            case .forceCancel(let id): try cancel(id, by: origin, forced: true, context: &context)
            }
        } catch {
            throw .bounties(error)
        }
    }

    /// - Throws (in order): `.titleEmpty`, `.fieldTooLong`, `.noPrizes`, `.tooManyPrizes`,
    ///   `.prizeZero`, `.prizesOverflow`, `.datesOutOfOrder`, `.enrollmentEndPassed`,
    ///   `.tooManyBounties`, then (with `fund`) `.balances(.insufficientBalance)`.
    /// - Emits: `.posted`, and with `fund` `.escrowed` and `.funded`.
    func create(_ draft: BountyDraft, fund: Bool, by owner: AccountID, context: inout CallContext) throws(BountiesError) {
        guard !draft.title.isEmpty else { throw .titleEmpty }
        for (name, text, max) in [("title", draft.title, Bounties.titleBytesMax), ("description", draft.description, Bounties.descriptionBytesMax)]
        where text.utf8.count > max {
            throw .fieldTooLong(field: name, bytes: text.utf8.count, max: max)
        }
        guard !draft.prizes.isEmpty else { throw .noPrizes }
        guard draft.prizes.count <= Bounties.prizesMax else { throw .tooManyPrizes(count: draft.prizes.count, max: Bounties.prizesMax) }
        if let rank = draft.prizes.firstIndex(where: \.isZero) { throw .prizeZero(rank: rank) }
        guard let total = Amount.sum(draft.prizes) else { throw .prizesOverflow }
        guard draft.enrollmentEnd <= draft.submissionEnd, draft.submissionEnd <= draft.evaluationDeadline else { throw .datesOutOfOrder }
        let now = context.environment.timestampMilliseconds
        guard draft.enrollmentEnd > now else { throw .enrollmentEndPassed(end: draft.enrollmentEnd, now: now) }
        var owned = context.get(Bounties.byOwner, owner) ?? []
        guard owned.count < Bounties.bountiesPerOwnerMax else { throw .tooManyBounties(owner: owner, max: Bounties.bountiesPerOwnerMax) }
        let id = context.get(Bounties.nextBounty, Unit()) ?? Identifier(1)
        guard let next = id.next else { throw .tooManyBounties(owner: owner, max: 0) }
        var bounty = Bounty(owner: owner, draft: draft)
        if fund {
            do { try Balances.deposit(total, from: owner, into: Bounties.escrow(id), context: &context) } catch { throw .balances(error) }
            bounty.funded = total
        }
        owned.append(id)
        context.set(Bounties.nextBounty, Unit(), next)
        context.set(Bounties.bounties, id, bounty)
        context.set(Bounties.byOwner, owner, owned)
        context.emit(BountiesEvent.posted(id, owner: owner, total: total))
        if fund { context.emit(BountiesEvent.funded(id, amount: total, total: total)) }
    }

    /// Adds to a pending bounty's escrow, up to its prize pool. Owner only.
    /// - Throws: `.unknownBounty`, `.notOwnerOrModerator`, `.wrongStatus`, `.zeroAmount`,
    ///   `.overfunded`, `.balances(.insufficientBalance)`. Emits `.escrowed`, `.funded`.
    func fund(_ id: Identifier<Bounty>, amount: Amount, by actor: AccountID, context: inout CallContext) throws(BountiesError) {
        var bounty = try existing(id, context)
        guard bounty.owner == actor else { throw .notOwnerOrModerator(id, account: actor) }
        guard bounty.status == .pending else { throw .wrongStatus(id, status: bounty.status, expected: .pending) }
        guard !amount.isZero else { throw .zeroAmount }
        guard let funded = bounty.funded.adding(amount), funded <= bounty.total else {
            throw .overfunded(id, funded: bounty.funded, adding: amount, total: bounty.total)
        }
        do { try Balances.deposit(amount, from: actor, into: Bounties.escrow(id), context: &context) } catch { throw .balances(error) }
        bounty.funded = funded
        context.set(Bounties.bounties, id, bounty)
        context.emit(BountiesEvent.funded(id, amount: amount, total: funded))
    }

    /// A manual step of the lifecycle by the owner or a moderator (the dates also move it on).
    /// - Throws: `.unknownBounty`, `.notOwnerOrModerator`, `.wrongStatus`, and for opening
    ///   enrollment `.notFullyFunded`. Emits `.statusChanged`.
    func move(_ id: Identifier<Bounty>, from: Bounty.Status, to target: Bounty.Status, by actor: AccountID,
              context: inout CallContext) throws(BountiesError) {
        var bounty = try existing(id, context)
        try requireOwnerOrModerator(bounty, id, actor, context)
        let current = bounty.effectiveStatus(at: context.environment.timestampMilliseconds)
        guard current == from else { throw .wrongStatus(id, status: current, expected: from) }
        if target == .enrollmentOpen, bounty.funded < bounty.total {
            throw .notFullyFunded(id, funded: bounty.funded, total: bounty.total)
        }
        advance(&bounty, id, to: current, context: &context)
        bounty.status = target
        context.set(Bounties.bounties, id, bounty)
        context.emit(BountiesEvent.statusChanged(id, to: target, by: actor))
    }

    /// - Throws (in order): `.unknownBounty`, `.ownerCannotEnroll`, `.wrongStatus`,
    ///   `.alreadyEnrolled`, `.tooManyParticipants`. Emits `.enrolled`.
    func enroll(_ id: Identifier<Bounty>, participant: AccountID, context: inout CallContext) throws(BountiesError) {
        var bounty = try existing(id, context)
        guard bounty.owner != participant else { throw .ownerCannotEnroll(id) }
        let current = bounty.effectiveStatus(at: context.environment.timestampMilliseconds)
        guard current == .enrollmentOpen else { throw .wrongStatus(id, status: current, expected: .enrollmentOpen) }
        guard Bounties.enrollment(id, participant, in: context) == nil else { throw .alreadyEnrolled(id, participant: participant) }
        var list = Bounties.participants(of: id, in: context)
        guard list.count < Bounties.participantsMax else { throw .tooManyParticipants(id, max: Bounties.participantsMax) }
        list.append(participant)
        bounty.participants += 1
        context.set(Bounties.bounties, id, bounty)
        context.set(Bounties.participants, id, list)
        context.set(Bounties.enrollments, Pair(id, participant), Enrollment(enrolledAt: context.height, submission: nil))
        context.emit(BountiesEvent.enrolled(id, participant: participant))
    }

    /// A participant's submission; a later one replaces theirs while submissions are open.
    /// - Throws (in order): `.unknownBounty`, `.fieldTooLong` (note), `.notEnrolled`, `.wrongStatus`.
    ///   Emits `.submitted`.
    func submit(_ id: Identifier<Bounty>, artifact: ContentAddress, note: String, by participant: AccountID,
                context: inout CallContext) throws(BountiesError) {
        var bounty = try existing(id, context)
        guard note.utf8.count <= Bounties.noteBytesMax else {
            throw .fieldTooLong(field: "note", bytes: note.utf8.count, max: Bounties.noteBytesMax)
        }
        guard var enrollment = Bounties.enrollment(id, participant, in: context) else { throw .notEnrolled(id, account: participant) }
        let current = bounty.effectiveStatus(at: context.environment.timestampMilliseconds)
        guard current == .submissionsOpen else { throw .wrongStatus(id, status: current, expected: .submissionsOpen) }
        advance(&bounty, id, to: current, context: &context)
        if enrollment.submission == nil { bounty.submissions += 1 }
        enrollment.submission = Enrollment.Submission(artifact: artifact, note: note, height: context.height)
        context.set(Bounties.bounties, id, bounty)
        context.set(Bounties.enrollments, Pair(id, participant), enrollment)
        context.emit(BountiesEvent.submitted(id, participant: participant, artifact: artifact))
    }

    /// Names one winner per prize, in rank order. Owner or moderator; `forced` (moderator
    /// only) also allows re-awarding an evaluated bounty and winners who did not submit.
    /// After the evaluation deadline only a moderator may award: the bounty's expiry rule is
    /// anyone's to apply then, and a late owner cannot pre-empt it.
    /// - Throws (in order): `.notModerator` (forced), `.unknownBounty`, `.notOwnerOrModerator`,
    ///   `.wrongStatus`, `.deadlinePassed` (not forced), `.wrongWinnerCount`, then for each
    ///   winner in rank order `.duplicateWinner`, `.winnerNotEnrolled`, `.winnerDidNotSubmit`.
    ///   Emits `.statusChanged` (evaluated), `.awarded`.
    func award(_ id: Identifier<Bounty>, winners: [AccountID], by actor: AccountID, forced: Bool,
               context: inout CallContext) throws(BountiesError) {
        if forced, !Roles.has(.moderator, actor, in: context) { throw .notModerator(actor) }
        var bounty = try existing(id, context)
        try requireOwnerOrModerator(bounty, id, actor, context)
        let current = bounty.effectiveStatus(at: context.environment.timestampMilliseconds)
        guard current == .submissionsClosed || (forced && current == .evaluated) else {
            throw .wrongStatus(id, status: current, expected: .submissionsClosed)
        }
        let now = context.environment.timestampMilliseconds
        guard forced || now <= bounty.draft.evaluationDeadline else {
            throw .deadlinePassed(id, deadline: bounty.draft.evaluationDeadline, now: now)
        }
        guard winners.count == bounty.draft.prizes.count else {
            throw .wrongWinnerCount(id, winners: winners.count, prizes: bounty.draft.prizes.count)
        }
        var seen = Set<AccountID>()
        for winner in winners {
            guard seen.insert(winner).inserted else { throw .duplicateWinner(id, winner) }
            guard let enrollment = Bounties.enrollment(id, winner, in: context) else { throw .winnerNotEnrolled(id, winner) }
            if !forced, enrollment.submission == nil { throw .winnerDidNotSubmit(id, winner) }
        }
        advance(&bounty, id, to: current, context: &context)
        bounty.winners = winners
        bounty.status = .evaluated
        context.set(Bounties.bounties, id, bounty)
        if current != .evaluated { context.emit(BountiesEvent.statusChanged(id, to: .evaluated, by: actor)) }
        context.emit(BountiesEvent.awarded(id, winners: winners, by: actor))
    }

    /// Pays prize *i* to winner *i* in one step. The owner or a moderator; after the evaluation
    /// deadline anyone, so a slow owner cannot hold the winners' money.
    /// - Throws: `.unknownBounty`, `.notOwnerOrModerator` (before the deadline), `.wrongStatus`.
    ///   Emits `.released` and `.prizePaid` per prize, `.statusChanged` (paid).
    func payout(_ id: Identifier<Bounty>, by actor: AccountID, context: inout CallContext) throws(BountiesError) {
        var bounty = try existing(id, context)
        if context.environment.timestampMilliseconds <= bounty.draft.evaluationDeadline {
            try requireOwnerOrModerator(bounty, id, actor, context)
        }
        guard bounty.status == .evaluated else { throw .wrongStatus(id, status: bounty.status, expected: .evaluated) }
        precondition(bounty.funded == bounty.total, "an evaluated bounty is fully funded")
        for (rank, (winner, prize)) in zip(bounty.winners, bounty.draft.prizes).enumerated() {
            do { try Balances.release(prize, from: Bounties.escrow(id), to: winner, context: &context) } catch { throw .balances(error) }
            context.emit(BountiesEvent.prizePaid(id, rank: UInt32(rank), winner: winner, amount: prize))
        }
        bounty.funded = .zero
        bounty.status = .paid
        context.set(Bounties.bounties, id, bounty)
        context.emit(BountiesEvent.statusChanged(id, to: .paid, by: actor))
    }

    /// Cancels and refunds the owner at once. The owner (or a moderator) while nobody has
    /// enrolled; `forced` (moderator only) at any point before the bounty is final.
    /// - Throws (in order): `.notModerator` (forced), `.unknownBounty`, `.notOwnerOrModerator`,
    ///   `.finalStatus`, `.hasParticipants`. Emits `.refunded` (if funded), `.statusChanged`.
    func cancel(_ id: Identifier<Bounty>, by actor: AccountID, forced: Bool, context: inout CallContext) throws(BountiesError) {
        if forced, !Roles.has(.moderator, actor, in: context) { throw .notModerator(actor) }
        var bounty = try existing(id, context)
        try requireOwnerOrModerator(bounty, id, actor, context)
        guard !bounty.status.isFinal else { throw .finalStatus(id, status: bounty.status) }
        guard forced || bounty.participants == 0 else { throw .hasParticipants(id, count: bounty.participants) }
        try refundOwner(&bounty, id, amount: bounty.funded, context: &context)
        bounty.status = .cancelled
        context.set(Bounties.bounties, id, bounty)
        context.emit(BountiesEvent.statusChanged(id, to: .cancelled, by: actor))
    }

    /// After the evaluation deadline of a bounty never awarded, anyone applies its expiry rule.
    /// - Throws (in order): `.unknownBounty`, `.finalStatus`, `.wrongStatus` (already evaluated:
    ///   use payout), `.deadlineNotPassed`. Emits `.shared` per submitter and/or `.refunded`,
    ///   `.statusChanged` (expired).
    func expire(_ id: Identifier<Bounty>, context: inout CallContext) throws(BountiesError) {
        var bounty = try existing(id, context)
        guard !bounty.status.isFinal else { throw .finalStatus(id, status: bounty.status) }
        guard bounty.status != .evaluated else { throw .wrongStatus(id, status: .evaluated, expected: .submissionsClosed) }
        let now = context.environment.timestampMilliseconds
        guard now > bounty.draft.evaluationDeadline else { throw .deadlineNotPassed(id, deadline: bounty.draft.evaluationDeadline, now: now) }
        var remaining = bounty.funded
        if bounty.draft.expiryRule == .splitAmongSubmitters {
            let submitters = Bounties.participants(of: id, in: context).filter {
                Bounties.enrollment(id, $0, in: context)?.submission != nil
            }
            if !submitters.isEmpty {
                let share = Amount(baseUnits: bounty.funded.baseUnits / UInt64(submitters.count))
                for submitter in submitters where !share.isZero {
                    do { try Balances.release(share, from: Bounties.escrow(id), to: submitter, context: &context) } catch { throw .balances(error) }
                    context.emit(BountiesEvent.shared(id, submitter: submitter, amount: share))
                    remaining = remaining.subtracting(share) ?? .zero
                }
            }
        }
        bounty.funded = remaining
        try refundOwner(&bounty, id, amount: remaining, context: &context)
        bounty.status = .expired
        context.set(Bounties.bounties, id, bounty)
        context.emit(BountiesEvent.statusChanged(id, to: .expired, by: nil))
    }

    /// Moderator override of a non-final status (seed 000 `forceSetStatus`); money moves only
    /// through payout, cancel and expire, so final statuses cannot be forced.
    /// - Throws: `.notModerator`, `.unknownBounty`, `.finalStatus` (current or target),
    ///   `.notFullyFunded` (target past pending), `.wrongWinnerCount` (target evaluated without
    ///   winners). Emits `.statusChanged`.
    func forceStatus(_ id: Identifier<Bounty>, _ target: Bounty.Status, by actor: AccountID, context: inout CallContext) throws(BountiesError) {
        guard Roles.has(.moderator, actor, in: context) else { throw .notModerator(actor) }
        var bounty = try existing(id, context)
        guard !bounty.status.isFinal else { throw .finalStatus(id, status: bounty.status) }
        guard !target.isFinal else { throw .finalStatus(id, status: target) }
        if target != .pending, bounty.funded < bounty.total { throw .notFullyFunded(id, funded: bounty.funded, total: bounty.total) }
        if target == .evaluated, bounty.winners.count != bounty.draft.prizes.count {
            throw .wrongWinnerCount(id, winners: bounty.winners.count, prizes: bounty.draft.prizes.count)
        }
        bounty.status = target
        context.set(Bounties.bounties, id, bounty)
        context.emit(BountiesEvent.statusChanged(id, to: target, by: actor))
    }

    // MARK: - Helpers

    private func refundOwner(_ bounty: inout Bounty, _ id: Identifier<Bounty>, amount: Amount, context: inout CallContext) throws(BountiesError) {
        guard !amount.isZero else { return }
        do { try Balances.release(amount, from: Bounties.escrow(id), to: bounty.owner, context: &context) } catch { throw .balances(error) }
        bounty.funded = bounty.funded.subtracting(amount) ?? .zero
        context.emit(BountiesEvent.refunded(id, owner: bounty.owner, amount: amount))
    }

    /// Records (with an event) a move the dates made since the bounty was last touched.
    private func advance(_ bounty: inout Bounty, _ id: Identifier<Bounty>, to current: Bounty.Status, context: inout CallContext) {
        guard current != bounty.status else { return }
        bounty.status = current
        context.emit(BountiesEvent.statusChanged(id, to: current, by: nil))
    }

    private func existing(_ id: Identifier<Bounty>, _ context: CallContext) throws(BountiesError) -> Bounty {
        guard let bounty = Bounties.bounty(id, in: context) else { throw .unknownBounty(id) }
        return bounty
    }

    private func requireOwnerOrModerator(_ bounty: Bounty, _ id: Identifier<Bounty>, _ actor: AccountID,
                                         _ context: CallContext) throws(BountiesError) {
        guard bounty.owner == actor || Roles.has(.moderator, actor, in: context) else {
            throw .notOwnerOrModerator(id, account: actor)
        }
    }

    /// Each bounty's escrow equals its `funded`, which never exceeds the pool; final bounties
    /// hold nothing; counts match the enrollment records.
    public func invariantViolations(in context: CallContext) -> [String] {
        var problems: [String] = []
        var escrows = Dictionary(uniqueKeysWithValues: Balances.escrows(of: .bounties, in: context))
        for (id, bounty) in context.entries(Bounties.bounties) {
            let held = escrows.removeValue(forKey: Bounties.escrow(id)) ?? .zero
            if held != bounty.funded { problems.append("bounty \(id) records \(bounty.funded) funded, its escrow holds \(held)") }
            if bounty.funded > bounty.total { problems.append("bounty \(id) holds more than its prize pool") }
            if bounty.status.isFinal, !held.isZero { problems.append("bounty \(id) is \(bounty.status) but still holds \(held)") }
            let participants = Bounties.participants(of: id, in: context)
            if participants.count != Int(bounty.participants) { problems.append("bounty \(id) counts \(bounty.participants) participants, lists \(participants.count)") }
            let submitted = participants.filter { Bounties.enrollment(id, $0, in: context)?.submission != nil }.count
            if submitted != Int(bounty.submissions) { problems.append("bounty \(id) counts \(bounty.submissions) submissions, has \(submitted)") }
        }
        for (escrow, amount) in escrows { problems.append("\(escrow) holds \(amount) for no bounty") }
        return problems
    }
}
