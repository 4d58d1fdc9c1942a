import DMLCore
import DMLLedger
import DMLNode
import DMLStore
import Foundation
import Logging
import SQLKit

/// Turns committed blocks into query tables: every transaction by hash, every event in order,
/// and one row per bounty with what lists filter and sort on.
///
/// It follows the log (not the sequencer's memory), so it catches up after a restart from the
/// height it recorded, and the tables can be dropped and rebuilt from the log at any time.
/// Entity rows are copied from the current state when an event names the entity: the index
/// holds the newest version of each row, which is what lists show.
actor Indexer {
    let database: APIDatabase
    let log: BlockLog
    let read: @Sendable (@Sendable (CallContext) -> [Bounty.Row]) async -> [Bounty.Row]
    let logger: Logger
    private(set) var height: UInt64 = 0
    private var listeners: [UUID: AsyncStream<UInt64>.Continuation] = [:]

    init(database: APIDatabase, log: BlockLog, logger: Logger,
         read: @escaping @Sendable (@Sendable (CallContext) -> [Bounty.Row]) async -> [Bounty.Row]) {
        self.database = database
        self.log = log
        self.logger = logger
        self.read = read
    }

    var sql: any SQLDatabase { database.sql }

    /// Indexes every block after the last indexed one; returns the height reached.
    @discardableResult
    func catchUp() async throws -> UInt64 {
        if height == 0 { try await resume() }
        while true {
            let blocks = try await log.blocks(from: height + 1, limit: 256)
            guard !blocks.isEmpty else { return height }
            var touched: Set<Identifier<Bounty>> = []
            for block in blocks { try await index(block, touched: &touched) }
            if !touched.isEmpty {
                let ids = touched
                for row in await read({ context in ids.sorted().compactMap { Bounty.Row(id: $0, in: context) } }) { try await upsert(row) }
            }
            height = blocks.last!.header.height
            try await sql.raw("""
                INSERT INTO api_index_meta (name, height) VALUES ('blocks', \(bind: Int64(height)))
                ON CONFLICT (name) DO UPDATE SET height = excluded.height
                """).run()
            for listener in listeners.values { listener.yield(height) }
        }
    }

    /// Picks up the recorded height, unless the tables were built from another chain: then they
    /// are emptied and rebuilt from this chain's log.
    private func resume() async throws {
        let chain = try await log.chainSpec()?.id.hex ?? ""
        let recorded = try await sql.raw("SELECT chain FROM api_index_chain").first()?.decode(column: "chain", as: String.self)
        if recorded != chain {
            for table in ["api_transactions", "api_events", "api_bounties", "api_index_meta", "api_index_chain"] {
                try await sql.raw("DELETE FROM \(unsafeRaw: table)").run()
            }
            try await sql.raw("INSERT INTO api_index_chain (chain) VALUES (\(bind: chain))").run()
            if recorded != nil { logger.warning("indexer: the tables held another chain's index; rebuilding from the log") }
            return
        }
        if let row = try await sql.raw("SELECT height FROM api_index_meta WHERE name = 'blocks'").first() {
            height = UInt64(try row.decode(column: "height", as: Int64.self))
        }
    }

    /// Follows the log until cancelled.
    func follow(intervalMilliseconds: UInt64) async {
        while !Task.isCancelled {
            do { try await catchUp() } catch { logger.warning("indexer: \(error)") }
            // A tick even when nothing changed, so streams can notice their deadline.
            for listener in listeners.values { listener.yield(height) }
            try? await Task.sleep(nanoseconds: intervalMilliseconds * 1_000_000)
        }
    }

    /// Heights as they are indexed, for streams of new events.
    func heights() -> AsyncStream<UInt64> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<UInt64>.makeStream(bufferingPolicy: .bufferingNewest(1))
        listeners[id] = continuation
        continuation.onTermination = { _ in Task { await self.stopListening(id) } }
        continuation.yield(height)
        return stream
    }

    private func stopListening(_ id: UUID) { listeners[id] = nil }

    private func index(_ block: Block, touched: inout Set<Identifier<Bounty>>) async throws {
        let height = Int64(block.header.height)
        for (index, transaction) in block.transactions.enumerated() {
            let call = transaction.payload.call
            try await sql.raw("""
                INSERT INTO api_transactions (hash, height, position, signer, module, name)
                VALUES (\(bind: transaction.hash.hex), \(bind: height), \(bind: index), \(bind: transaction.payload.signer.address),
                  \(bind: call.module.description), \(bind: call.name))
                ON CONFLICT (hash) DO NOTHING
                """).run()
        }
        for (position, record) in block.events.enumerated() {
            let transaction: Int? = if case .transaction(let index) = record.phase { Int(index) } else { nil }
            try await sql.raw("""
                INSERT INTO api_events (height, position, tx, module, name, text)
                VALUES (\(bind: height), \(bind: position), \(bind: transaction), \(bind: record.event.module.description),
                  \(bind: record.event.name), \(bind: record.event.text))
                ON CONFLICT (height, position) DO NOTHING
                """).run()
            if let event = BountiesEvent(record.event) { touched.insert(event.bounty) }
        }
    }

    private func upsert(_ row: Bounty.Row) async throws {
        try await sql.raw("""
            INSERT INTO api_bounties (id, owner, title, description, status, prize_pool, funded, prizes, enrollment_end,
              submission_end, evaluation_deadline, participants, submissions, updated_height)
            VALUES (\(bind: Int64(row.id.rawValue)), \(bind: row.owner), \(bind: row.title), \(bind: row.description), \(bind: row.status),
              \(bind: Int64(row.prizePool)), \(bind: Int64(row.funded)), \(bind: row.prizes), \(bind: Int64(row.enrollmentEnd)),
              \(bind: Int64(row.submissionEnd)), \(bind: Int64(row.evaluationDeadline)), \(bind: row.participants),
              \(bind: row.submissions), \(bind: Int64(row.height)))
            ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, title = excluded.title, description = excluded.description,
              status = excluded.status, prize_pool = excluded.prize_pool, funded = excluded.funded, prizes = excluded.prizes,
              enrollment_end = excluded.enrollment_end, submission_end = excluded.submission_end,
              evaluation_deadline = excluded.evaluation_deadline, participants = excluded.participants,
              submissions = excluded.submissions, updated_height = excluded.updated_height
            """).run()
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
