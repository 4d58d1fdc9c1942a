import DMLCore
import DMLLedger
import SQLKit

/// The entity rows the indexer keeps for lists: bounties and algorithms, copied from the state
/// after the blocks that touched them, so each row is the entity's newest version.
struct IndexRows: Sendable {
    static let tables = ["api_bounties", "api_algorithms"]

    /// The entities that a run of blocks touched, from their events.
    struct Touched: Sendable {
        var bounties: Set<Identifier<Bounty>> = []
        var algorithms: Set<Identifier<Algorithm>> = []

        var isEmpty: Bool { bounties.isEmpty && algorithms.isEmpty }

        mutating func note(_ event: Event) {
            if let event = BountiesEvent(event) { bounties.insert(event.bounty) }
            if let event = MarketplaceEvent(event) { algorithms.insert(event.algorithm) }
        }
    }

    var bounties: [Bounty.Row]
    var algorithms: [Algorithm.Row]

    init(_ touched: Touched, in state: CallContext) {
        bounties = touched.bounties.sorted().compactMap { Bounty.Row(id: $0, in: state) }
        algorithms = touched.algorithms.sorted().compactMap { Algorithm.Row(id: $0, in: state) }
    }

    func save(in sql: any SQLDatabase) async throws {
        for row in bounties { try await row.upsert(in: sql) }
        for row in algorithms { try await row.upsert(in: sql) }
    }

    /// Amounts in base units go up to 2^64 − 1, past a signed 64-bit column; the index keeps them
    /// as 20-digit zero-padded text, which sorts like the numbers on SQLite and PostgreSQL alike.
    static func sortable(_ amount: UInt64) -> String {
        let digits = String(amount)
        return String(repeating: "0", count: 20 - digits.count) + digits
    }

    /// The decimal amount back from its sortable text.
    static func amount(_ sortable: String) -> String {
        let digits = sortable.drop { $0 == "0" }
        return digits.isEmpty ? "0" : String(digits)
    }
}

extension Bounty {
    /// A bounty as the index stores it.
    struct Row: Sendable {
        let id: Identifier<Bounty>
        let owner: String
        let title: String
        let description: String
        let status: String
        let prizePool: UInt64
        let funded: UInt64
        let prizes: Int
        let enrollmentEnd: UInt64
        let submissionEnd: UInt64
        let evaluationDeadline: UInt64
        let participants: Int
        let submissions: Int
        let height: UInt64

        init?(id: Identifier<Bounty>, in context: CallContext) {
            guard let bounty = Bounties.bounty(id, in: context) else { return nil }
            self.id = id
            owner = bounty.owner.address
            title = bounty.draft.title
            description = bounty.draft.description
            status = BountyView.statusName(bounty.status)
            prizePool = bounty.total.baseUnits
            funded = bounty.funded.baseUnits
            prizes = bounty.draft.prizes.count
            enrollmentEnd = bounty.draft.enrollmentEnd
            submissionEnd = bounty.draft.submissionEnd
            evaluationDeadline = bounty.draft.evaluationDeadline
            participants = Int(bounty.participants)
            submissions = Int(bounty.submissions)
            height = context.environment.height
        }

        func upsert(in sql: any SQLDatabase) async throws {
            try await sql.raw("""
                INSERT INTO api_bounties (id, owner, title, description, status, prize_pool, funded, prizes, enrollment_end,
                  submission_end, evaluation_deadline, participants, submissions, updated_height)
                VALUES (\(bind: Int64(id.rawValue)), \(bind: owner), \(bind: title), \(bind: description), \(bind: status),
                  \(bind: IndexRows.sortable(prizePool)), \(bind: IndexRows.sortable(funded)), \(bind: prizes), \(bind: Int64(clamping: enrollmentEnd)),
                  \(bind: Int64(clamping: submissionEnd)), \(bind: Int64(clamping: evaluationDeadline)), \(bind: participants),
                  \(bind: submissions), \(bind: Int64(clamping: height)))
                ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, title = excluded.title, description = excluded.description,
                  status = excluded.status, prize_pool = excluded.prize_pool, funded = excluded.funded, prizes = excluded.prizes,
                  enrollment_end = excluded.enrollment_end, submission_end = excluded.submission_end,
                  evaluation_deadline = excluded.evaluation_deadline, participants = excluded.participants,
                  submissions = excluded.submissions, updated_height = excluded.updated_height
                """).run()
        }
    }
}

extension Algorithm {
    /// An algorithm as the index stores it. Tags are kept lowercased as `|a|b|`, so one `LIKE
    /// '%|tag|%'` matches a whole tag.
    struct Row: Sendable {
        let id: Identifier<Algorithm>
        let creator: String
        let title: String
        let description: String
        let tags: String
        let status: String
        let price: UInt64
        let deviceFee: UInt64
        let version: UInt32
        let purchases: UInt64
        let downloads: UInt64
        let height: UInt64

        init?(id: Identifier<Algorithm>, in context: CallContext) {
            guard let algorithm = Marketplace.algorithm(id, in: context) else { return nil }
            self.id = id
            creator = algorithm.creator.address
            title = algorithm.draft.title
            description = algorithm.draft.description
            tags = "|" + algorithm.draft.tags.map { SearchText.literal($0.lowercased()) }.joined(separator: "|") + "|"
            status = AlgorithmView.statusName(algorithm.status)
            price = algorithm.draft.price.baseUnits
            deviceFee = algorithm.draft.deviceFee.baseUnits
            version = algorithm.version
            purchases = algorithm.purchases
            downloads = algorithm.downloads
            height = context.environment.height
        }

        func upsert(in sql: any SQLDatabase) async throws {
            try await sql.raw("""
                INSERT INTO api_algorithms (id, creator, title, description, tags, status, price, device_fee, version, purchases,
                  downloads, updated_height)
                VALUES (\(bind: Int64(id.rawValue)), \(bind: creator), \(bind: title), \(bind: description), \(bind: tags),
                  \(bind: status), \(bind: IndexRows.sortable(price)), \(bind: IndexRows.sortable(deviceFee)), \(bind: Int64(clamping: version)), \(bind: Int64(clamping: purchases)),
                  \(bind: Int64(clamping: downloads)), \(bind: Int64(clamping: height)))
                ON CONFLICT (id) DO UPDATE SET creator = excluded.creator, title = excluded.title, description = excluded.description,
                  tags = excluded.tags, status = excluded.status, price = excluded.price, device_fee = excluded.device_fee,
                  version = excluded.version, purchases = excluded.purchases, downloads = excluded.downloads,
                  updated_height = excluded.updated_height
                """).run()
        }
    }
}

extension BountiesEvent {
    var bounty: Identifier<Bounty> {
        switch self {
        case .posted(let id, _, _), .funded(let id, _, _), .statusChanged(let id, _, _), .enrolled(let id, _),
             .submitted(let id, _, _), .awarded(let id, _, _), .prizePaid(let id, _, _, _), .refunded(let id, _, _),
             .shared(let id, _, _): id
        }
    }
}

extension MarketplaceEvent {
    var algorithm: Identifier<Algorithm> {
        switch self {
        case .published(let id, _, _), .versionPublished(let id, _, _), .statusChanged(let id, _, _), .priceChanged(let id, _, _),
             .creatorChanged(let id, _, _), .purchased(let id, _, _), .forceBought(let id, _, _), .proceedsWithdrawn(let id, _, _),
             .downloaded(let id, _): id
        }
    }
}
