import DMLCore

/// Bounties: prizes in escrow for the best submissions (seed 000 `BountyFactory`/`Bounty`,
/// seed 001 bounties, enrollments and rewards).
///
/// ```
/// pending ─open─▶ enrollment open ─close─▶ enrollment closed ─open─▶ submissions open ─close─▶ submissions closed
///   │ (fully funded)     │  (dates also move it on: enrollment end, submission end)          │
///   │                    │                                                                    ├─award─▶ evaluated ─payout─▶ paid
///   └─cancel (no one enrolled) ─▶ cancelled            after the evaluation deadline, anyone: expire ─▶ expired
/// ```
///
/// The prize pool is escrowed at creation or by later `fund` calls, and a bounty cannot open
/// before it is fully funded. Enrollment is once per participant and never by the owner; only
/// enrolled participants submit, while submissions are open. Winners are exactly one per prize,
/// each an enrolled participant who submitted, none twice; payout pays prize *i* to winner *i*.
/// If the owner misses the evaluation deadline, anyone can apply the rule the bounty declared at
/// creation — refund the owner, or split the pool among those who submitted — with no admin.
/// Moderators can force a status, force winners, or cancel with a refund; each is an event.
///
/// Invariant: each bounty's escrow equals what it was funded minus what it paid; a final bounty
/// holds nothing.
public enum Bounties {
    public static let titleBytesMax = 200
    public static let descriptionBytesMax = 8_192
    public static let noteBytesMax = 1_024
    public static let prizesMax = 32
    public static let participantsMax = 1_000
    public static let bountiesPerOwnerMax = 1_000

    static let bounties = StorageMap<Identifier<Bounty>, Bounty>(module: .bounties, map: 0)
    static let nextBounty = StorageMap<Unit, Identifier<Bounty>>(module: .bounties, map: 1)
    static let enrollments = StorageMap<Pair<Identifier<Bounty>, AccountID>, Enrollment>(module: .bounties, map: 2)
    static let participants = StorageMap<Identifier<Bounty>, [AccountID]>(module: .bounties, map: 3)
    static let byOwner = StorageMap<AccountID, [Identifier<Bounty>]>(module: .bounties, map: 4)

    public static func escrow(_ id: Identifier<Bounty>) -> EscrowID { EscrowID(module: .bounties, id: id.rawValue) }

    public static func bounty(_ id: Identifier<Bounty>, in context: CallContext) -> Bounty? { context.get(bounties, id) }

    public static func enrollment(_ id: Identifier<Bounty>, _ participant: AccountID, in context: CallContext) -> Enrollment? {
        context.get(enrollments, Pair(id, participant))
    }

    /// Participants in enrollment order.
    public static func participants(of id: Identifier<Bounty>, in context: CallContext) -> [AccountID] {
        context.get(participants, id) ?? []
    }

    /// Submissions visible to `viewer`: the owner (or a moderator) sees all, a participant their own.
    public static func submissions(of id: Identifier<Bounty>, visibleTo viewer: AccountID, in context: CallContext)
        -> [(AccountID, Enrollment.Submission)] {
        guard let bounty = bounty(id, in: context) else { return [] }
        let everyone = bounty.owner == viewer || Roles.has(.moderator, viewer, in: context)
        return participants(of: id, in: context).filter { everyone || $0 == viewer }.compactMap { participant in
            enrollment(id, participant, in: context)?.submission.map { (participant, $0) }
        }
    }

    /// A page of `owner`'s bounties, oldest first, and how many there are in all.
    public static func bounties(by owner: AccountID, offset: Int, limit: Int, in context: CallContext)
        -> (page: [(Identifier<Bounty>, Bounty)], total: Int) {
        let ids = context.get(byOwner, owner) ?? []
        let page = ids.dropFirst(max(0, offset)).prefix(max(0, limit)).compactMap { id in bounty(id, in: context).map { (id, $0) } }
        return (page, ids.count)
    }
}
