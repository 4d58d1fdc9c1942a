import DMLCore
import DMLLedger
import DMLNode
import DMLStore
import Foundation
import Logging
import SQLKit
import Synchronization

/// Turns committed blocks into query tables: every transaction by hash, every event in order,
/// and one row per bounty and per algorithm with what lists filter and sort on (`IndexRows`).
///
/// It follows the log (not the sequencer's memory), so it catches up after a restart from the
/// height it recorded, and the tables can be dropped and rebuilt from the log at any time.
/// Entity rows are copied from the current state when an event names the entity: the index
/// holds the newest version of each row, which is what lists show.
actor Indexer {
    let database: APIDatabase
    let log: BlockLog
    let read: @Sendable (@Sendable (CallContext) -> IndexRows) async -> IndexRows
    let logger: Logger
    private(set) var height: UInt64 = 0
    /// `height`, readable without waiting for the actor (list pages are cached per height).
    nonisolated let published = Atomic<UInt64>(0)
    private var listeners: [UUID: AsyncStream<UInt64>.Continuation] = [:]

    init(database: APIDatabase, log: BlockLog, logger: Logger,
         read: @escaping @Sendable (@Sendable (CallContext) -> IndexRows) async -> IndexRows) {
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
            var touched = IndexRows.Touched()
            try await index(blocks, touched: &touched)
            if !touched.isEmpty {
                let ids = touched
                try await read({ IndexRows(ids, in: $0) }).save(in: sql)
            }
            height = blocks.last!.header.height
            published.store(height, ordering: .releasing)
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
            for table in APIDatabase.indexTables {
                try await sql.raw("DELETE FROM \(unsafeRaw: table)").run()
            }
            try await sql.raw("INSERT INTO api_index_chain (chain) VALUES (\(bind: chain))").run()
            if recorded != nil { logger.warning("indexer: the tables held another chain's index; rebuilding from the log") }
            return
        }
        if let row = try await sql.raw("SELECT height FROM api_index_meta WHERE name = 'blocks'").first() {
            height = UInt64(try row.decode(column: "height", as: Int64.self))
            published.store(height, ordering: .releasing)
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

    /// How many streams follow the index now (tests wait for a stream to be open on it).
    var listenerCount: Int { listeners.count }

    /// Inserts the blocks' transactions and events, many rows per statement: one statement is
    /// one commit (one fsync on SQLite), so row-at-a-time inserts would cap the index far below
    /// the rate the sequencer commits at.
    private func index(_ blocks: [Block], touched: inout IndexRows.Touched) async throws {
        var transactions: [SQLQueryString] = [], events: [SQLQueryString] = []
        for block in blocks {
            let height = Int64(block.header.height)
            for (index, transaction) in block.transactions.enumerated() {
                let call = transaction.payload.call
                transactions.append("""
                    (\(bind: transaction.hash.hex), \(bind: height), \(bind: index), \(bind: transaction.payload.signer.address), \
                    \(bind: call.module.description), \(bind: call.name))
                    """)
            }
            for (position, record) in block.events.enumerated() {
                let transaction: Int? = if case .transaction(let index) = record.phase { Int(index) } else { nil }
                let (name, text) = record.event.nameAndText
                events.append("""
                    (\(bind: height), \(bind: position), \(bind: transaction), \(bind: record.event.module.description), \
                    \(bind: name), \(bind: text))
                    """)
                touched.note(record.event)
            }
        }
        try await insert(transactions, into: "api_transactions (hash, height, position, signer, module, name)", conflict: "(hash)")
        try await insert(events, into: "api_events (height, position, tx, module, name, text)", conflict: "(height, position)")
    }

    /// Rows of six values each; 150 rows keep a statement under SQLite's 999 bound values.
    private func insert(_ rows: [SQLQueryString], into table: String, conflict: String) async throws {
        for start in stride(from: 0, to: rows.count, by: 150) {
            var statement: SQLQueryString = "INSERT INTO \(unsafeRaw: table) VALUES "
            for (offset, row) in rows[start..<min(rows.count, start + 150)].enumerated() {
                statement = offset == 0 ? statement + row : statement + ", " + row
            }
            try await sql.raw(statement + " ON CONFLICT \(unsafeRaw: conflict) DO NOTHING").run()
        }
    }
}
