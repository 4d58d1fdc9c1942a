import DMLCore

/// The calls of the Bounties module.
public enum BountiesCall: ModuleCall, Hashable {
    /// Post a bounty; with `fund`, the whole prize pool is escrowed at once.
    case create(BountyDraft, fund: Bool)
    case fund(Identifier<Bounty>, amount: Amount)
    case openEnrollment(Identifier<Bounty>)
    case closeEnrollment(Identifier<Bounty>)
    case openSubmissions(Identifier<Bounty>)
    case closeSubmissions(Identifier<Bounty>)
    case enroll(Identifier<Bounty>)
    case submit(Identifier<Bounty>, artifact: ContentAddress, note: String)
    case award(Identifier<Bounty>, winners: [AccountID])
    case payout(Identifier<Bounty>)
    case cancel(Identifier<Bounty>)
    case expire(Identifier<Bounty>)
    case forceStatus(Identifier<Bounty>, Bounty.Status)
    case forceWinners(Identifier<Bounty>, winners: [AccountID])
    case forceCancel(Identifier<Bounty>)

    public static let module = ModuleID.bounties

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .create(draft, fund): writer.write(UInt8(0)); writer.write(draft); writer.write(fund)
        case let .fund(id, amount): writer.write(UInt8(1)); writer.write(id); writer.write(amount)
        case .openEnrollment(let id): writer.write(UInt8(2)); writer.write(id)
        case .closeEnrollment(let id): writer.write(UInt8(3)); writer.write(id)
        case .openSubmissions(let id): writer.write(UInt8(4)); writer.write(id)
        case .closeSubmissions(let id): writer.write(UInt8(5)); writer.write(id)
        case .enroll(let id): writer.write(UInt8(6)); writer.write(id)
        case let .submit(id, artifact, note): writer.write(UInt8(7)); writer.write(id); writer.write(artifact); writer.write(note)
        case let .award(id, winners): writer.write(UInt8(8)); writer.write(id); writer.write(winners)
        case .payout(let id): writer.write(UInt8(9)); writer.write(id)
        case .cancel(let id): writer.write(UInt8(10)); writer.write(id)
        case .expire(let id): writer.write(UInt8(11)); writer.write(id)
        case let .forceStatus(id, status): writer.write(UInt8(12)); writer.write(id); writer.write(status)
        case let .forceWinners(id, winners): writer.write(UInt8(13)); writer.write(id); writer.write(winners)
        case .forceCancel(let id): writer.write(UInt8(14)); writer.write(id)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("call tag") {
        case 0: self = .create(try reader.read(), fund: try reader.readBool("fund"))
        case 1: self = .fund(try reader.read(), amount: try reader.read())
        case 2: self = .openEnrollment(try reader.read())
        case 3: self = .closeEnrollment(try reader.read())
        case 4: self = .openSubmissions(try reader.read())
        case 5: self = .closeSubmissions(try reader.read())
        case 6: self = .enroll(try reader.read())
        case 7: self = .submit(try reader.read(), artifact: try reader.read(), note: try reader.readString(maxBytes: 4_096, "note"))
        case 8: self = .award(try reader.read(), winners: try reader.readArray(maxCount: 256, "winners"))
        case 9: self = .payout(try reader.read())
        case 10: self = .cancel(try reader.read())
        case 11: self = .expire(try reader.read())
        case 12: self = .forceStatus(try reader.read(), try reader.read())
        case 13: self = .forceWinners(try reader.read(), winners: try reader.readArray(maxCount: 256, "winners"))
        case 14: self = .forceCancel(try reader.read())
        case let tag: throw .unknownTag(field: "bounties call", offset: start, tag: UInt64(tag))
        }
    }
}

/// What the Bounties module reports. `by` is `nil` when the dates moved a bounty on.
public enum BountiesEvent: ModuleEvent, Hashable {
    case posted(Identifier<Bounty>, owner: AccountID, total: Amount)
    case funded(Identifier<Bounty>, amount: Amount, total: Amount)
    case statusChanged(Identifier<Bounty>, to: Bounty.Status, by: AccountID?)
    case enrolled(Identifier<Bounty>, participant: AccountID)
    case submitted(Identifier<Bounty>, participant: AccountID, artifact: ContentAddress)
    case awarded(Identifier<Bounty>, winners: [AccountID], by: AccountID)
    case prizePaid(Identifier<Bounty>, rank: UInt32, winner: AccountID, amount: Amount)
    case refunded(Identifier<Bounty>, owner: AccountID, amount: Amount)
    case shared(Identifier<Bounty>, submitter: AccountID, amount: Amount)

    public static let module = ModuleID.bounties

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .posted(id, owner, total): writer.write(UInt8(0)); writer.write(id); writer.write(owner); writer.write(total)
        case let .funded(id, amount, total): writer.write(UInt8(1)); writer.write(id); writer.write(amount); writer.write(total)
        case let .statusChanged(id, to, by): writer.write(UInt8(2)); writer.write(id); writer.write(to); writer.write(by)
        case let .enrolled(id, participant): writer.write(UInt8(3)); writer.write(id); writer.write(participant)
        case let .submitted(id, participant, artifact): writer.write(UInt8(4)); writer.write(id); writer.write(participant); writer.write(artifact)
        case let .awarded(id, winners, by): writer.write(UInt8(5)); writer.write(id); writer.write(winners); writer.write(by)
        case let .prizePaid(id, rank, winner, amount): writer.write(UInt8(6)); writer.write(id); writer.write(rank); writer.write(winner); writer.write(amount)
        case let .refunded(id, owner, amount): writer.write(UInt8(7)); writer.write(id); writer.write(owner); writer.write(amount)
        case let .shared(id, submitter, amount): writer.write(UInt8(8)); writer.write(id); writer.write(submitter); writer.write(amount)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("event tag") {
        case 0: self = .posted(try reader.read(), owner: try reader.read(), total: try reader.read())
        case 1: self = .funded(try reader.read(), amount: try reader.read(), total: try reader.read())
        case 2: self = .statusChanged(try reader.read(), to: try reader.read(), by: try reader.readOptional(AccountID.self, "by"))
        case 3: self = .enrolled(try reader.read(), participant: try reader.read())
        case 4: self = .submitted(try reader.read(), participant: try reader.read(), artifact: try reader.read())
        case 5: self = .awarded(try reader.read(), winners: try reader.readArray(maxCount: 256, "winners"), by: try reader.read())
        case 6: self = .prizePaid(try reader.read(), rank: try reader.readUInt32("rank"), winner: try reader.read(), amount: try reader.read())
        case 7: self = .refunded(try reader.read(), owner: try reader.read(), amount: try reader.read())
        case 8: self = .shared(try reader.read(), submitter: try reader.read(), amount: try reader.read())
        case let tag: throw .unknownTag(field: "bounties event", offset: start, tag: UInt64(tag))
        }
    }
}

/// Why the Bounties module refused a call.
public enum BountiesError: RejectionReason {
    case titleEmpty
    case fieldTooLong(field: String, bytes: Int, max: Int)
    case noPrizes
    case tooManyPrizes(count: Int, max: Int)
    case prizeZero(rank: Int)
    case prizesOverflow
    case datesOutOfOrder
    case enrollmentEndPassed(end: UInt64, now: UInt64)
    case tooManyBounties(owner: AccountID, max: Int)
    case unknownBounty(Identifier<Bounty>)
    case notOwnerOrModerator(Identifier<Bounty>, account: AccountID)
    case notModerator(AccountID)
    case wrongStatus(Identifier<Bounty>, status: Bounty.Status, expected: Bounty.Status)
    case zeroAmount
    case overfunded(Identifier<Bounty>, funded: Amount, adding: Amount, total: Amount)
    case notFullyFunded(Identifier<Bounty>, funded: Amount, total: Amount)
    case ownerCannotEnroll(Identifier<Bounty>)
    case alreadyEnrolled(Identifier<Bounty>, participant: AccountID)
    case tooManyParticipants(Identifier<Bounty>, max: Int)
    case notEnrolled(Identifier<Bounty>, account: AccountID)
    case wrongWinnerCount(Identifier<Bounty>, winners: Int, prizes: Int)
    case duplicateWinner(Identifier<Bounty>, AccountID)
    case winnerNotEnrolled(Identifier<Bounty>, AccountID)
    case winnerDidNotSubmit(Identifier<Bounty>, AccountID)
    case deadlineNotPassed(Identifier<Bounty>, deadline: UInt64, now: UInt64)
    case deadlinePassed(Identifier<Bounty>, deadline: UInt64, now: UInt64)
    case hasParticipants(Identifier<Bounty>, count: UInt32)
    case finalStatus(Identifier<Bounty>, status: Bounty.Status)
    case balances(BalancesError)

    public var code: String {
        switch self {
        case .titleEmpty: "bounties.title_empty"
        case .fieldTooLong: "bounties.field_too_long"
        case .noPrizes: "bounties.no_prizes"
        case .tooManyPrizes: "bounties.too_many_prizes"
        case .prizeZero: "bounties.prize_zero"
        case .prizesOverflow: "bounties.prizes_overflow"
        case .datesOutOfOrder: "bounties.dates_out_of_order"
        case .enrollmentEndPassed: "bounties.enrollment_end_passed"
        case .tooManyBounties: "bounties.too_many_bounties"
        case .unknownBounty: "bounties.unknown_bounty"
        case .notOwnerOrModerator: "bounties.not_owner_or_moderator"
        case .notModerator: "bounties.not_moderator"
        case .wrongStatus: "bounties.wrong_status"
        case .zeroAmount: "bounties.zero_amount"
        case .overfunded: "bounties.overfunded"
        case .notFullyFunded: "bounties.not_fully_funded"
        case .ownerCannotEnroll: "bounties.owner_cannot_enroll"
        case .alreadyEnrolled: "bounties.already_enrolled"
        case .tooManyParticipants: "bounties.too_many_participants"
        case .notEnrolled: "bounties.not_enrolled"
        case .wrongWinnerCount: "bounties.wrong_winner_count"
        case .duplicateWinner: "bounties.duplicate_winner"
        case .winnerNotEnrolled: "bounties.winner_not_enrolled"
        case .winnerDidNotSubmit: "bounties.winner_did_not_submit"
        case .deadlineNotPassed: "bounties.deadline_not_passed"
        case .deadlinePassed: "bounties.deadline_passed"
        case .hasParticipants: "bounties.has_participants"
        case .finalStatus: "bounties.final_status"
        case .balances(let error): error.code
        }
    }

    public var description: String {
        switch self {
        case .titleEmpty: "a bounty needs a title"
        case let .fieldTooLong(field, bytes, max): "\(field) is \(bytes) bytes, at most \(max) allowed"
        case .noPrizes: "a bounty needs at least one prize"
        case let .tooManyPrizes(count, max): "\(count) prizes, at most \(max) allowed"
        case .prizeZero(let rank): "prize \(rank) is zero; every prize must be more than zero"
        case .prizesOverflow: "the prizes add up to more than the largest amount"
        case .datesOutOfOrder: "dates must satisfy enrollment end ≤ submission end ≤ evaluation deadline"
        case let .enrollmentEndPassed(end, now): "the enrollment end \(end) ms is not after now (\(now) ms)"
        case let .tooManyBounties(owner, max): "\(owner) already has \(max) bounties"
        case .unknownBounty(let id): "there is no bounty \(id)"
        case let .notOwnerOrModerator(id, account): "\(account) is neither the owner of bounty \(id) nor a moderator"
        case .notModerator(let account): "\(account) is not a moderator"
        case let .wrongStatus(id, status, expected): "bounty \(id) is \(status), must be \(expected)"
        case .zeroAmount: "the amount must be more than zero"
        case let .overfunded(id, funded, adding, total): "bounty \(id) has \(funded) of \(total); adding \(adding) would exceed it"
        case let .notFullyFunded(id, funded, total): "bounty \(id) has \(funded) of its \(total) prize pool; fund it first"
        case .ownerCannotEnroll(let id): "the owner of bounty \(id) cannot enroll in it"
        case let .alreadyEnrolled(id, participant): "\(participant) is already enrolled in bounty \(id)"
        case let .tooManyParticipants(id, max): "bounty \(id) already has \(max) participants"
        case let .notEnrolled(id, account): "\(account) is not enrolled in bounty \(id)"
        case let .wrongWinnerCount(id, winners, prizes): "bounty \(id) has \(prizes) prizes, \(winners) winners were named"
        case let .duplicateWinner(id, account): "\(account) is named twice as a winner of bounty \(id)"
        case let .winnerNotEnrolled(id, account): "winner \(account) is not enrolled in bounty \(id)"
        case let .winnerDidNotSubmit(id, account): "winner \(account) submitted nothing to bounty \(id)"
        case let .deadlineNotPassed(id, deadline, now): "bounty \(id)'s evaluation deadline \(deadline) ms has not passed (now \(now) ms)"
        case let .deadlinePassed(id, deadline, now):
            "bounty \(id)'s evaluation deadline \(deadline) ms has passed (now \(now) ms); anyone may apply its expiry rule"
        case let .hasParticipants(id, count): "bounty \(id) has \(count) participants; only a moderator can cancel it now"
        case let .finalStatus(id, status): "bounty \(id) is \(status); nothing more can happen to it"
        case .balances(let error): error.description
        }
    }
}
