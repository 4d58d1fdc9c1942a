import DMLCore
import DMLLedger
import Foundation
import SQLKit

/// The transaction inbox: signed transactions queued in the shared database by processes that
/// do not sequence (storage nodes, a second API process), for the one process that does.
///
/// A row is written once by its producer and completed once by the sequencer with the outcome,
/// so a producer can learn what happened to its transaction by polling its row.
extension BlockLog {
    /// What became of a queued transaction.
    public enum InboxOutcome: Sendable, Equatable {
        case pending
        case included(height: UInt64)
        case refused(code: String, message: String)
    }

    func createInboxTable() async throws(StoreError) {
        let key = isPostgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"
        try await run("create the inbox table") {
            try await sql.raw("""
                CREATE TABLE IF NOT EXISTS dml_inbox (id \(unsafeRaw: key), tx \(unsafeRaw: blobType) NOT NULL,
                height BIGINT, error_code TEXT, error_message TEXT, done BOOLEAN NOT NULL DEFAULT FALSE)
                """).run()
            // The sequencer asks for pending rows many times a second; done rows pile up behind them.
            try await sql.raw("CREATE INDEX IF NOT EXISTS dml_inbox_pending ON dml_inbox (done, id)").run()
        }
    }

    /// Queues `transaction` for the sequencer; returns its inbox id.
    public func enqueue(_ transaction: SignedTransaction) async throws(StoreError) -> Int64 {
        let row = try await run("queue a transaction") {
            try await sql.raw("INSERT INTO dml_inbox (tx) VALUES (\(bind: Data(transaction.canonicalBytes))) RETURNING id").first()
        }
        guard let id = try? row?.decode(column: "id", as: Int64.self) else { throw StoreError(.corrupt, "the inbox returned no id") }
        return id
    }

    /// Up to `limit` queued transactions, oldest first. A row that does not decode comes back
    /// as its decoding error so the sequencer can refuse it rather than stall on it.
    public func pendingInbox(limit: Int) async throws(StoreError) -> [(id: Int64, transaction: Result<SignedTransaction, DecodingError>)] {
        let rows = try await run("read the inbox") {
            try await sql.raw("SELECT id, tx FROM dml_inbox WHERE done = FALSE ORDER BY id LIMIT \(bind: limit)").all()
        }
        var pending: [(id: Int64, transaction: Result<SignedTransaction, DecodingError>)] = []
        for row in rows {
            guard let id = try? row.decode(column: "id", as: Int64.self) else { throw StoreError(.corrupt, "an inbox row has no id") }
            let bytes = try decodeBlob(row, column: "tx", what: "inbox row \(id)")
            do {
                pending.append((id, .success(try SignedTransaction(canonicalBytes: bytes))))
            } catch {
                pending.append((id, .failure(error)))
            }
        }
        return pending
    }

    /// Records the outcome of inbox row `id`.
    public func complete(inbox id: Int64, _ outcome: InboxOutcome) async throws(StoreError) {
        try await run("complete inbox row \(id)") {
            switch outcome {
            case .pending: return
            case .included(let height):
                try await sql.raw("UPDATE dml_inbox SET done = TRUE, height = \(bind: Int64(height)) WHERE id = \(bind: id)").run()
            case let .refused(code, message):
                try await sql.raw("""
                    UPDATE dml_inbox SET done = TRUE, error_code = \(bind: code), error_message = \(bind: message) WHERE id = \(bind: id)
                    """).run()
            }
        }
    }

    /// What became of inbox row `id`; `nil` if there is no such row.
    public func inboxOutcome(_ id: Int64) async throws(StoreError) -> InboxOutcome? {
        let row = try await run("read inbox row \(id)") {
            try await sql.raw("SELECT done, height, error_code, error_message FROM dml_inbox WHERE id = \(bind: id)").first()
        }
        guard let row else { return nil }
        guard (try? row.decode(column: "done", as: Bool.self)) == true else { return .pending }
        if let height = try? row.decode(column: "height", as: Int64?.self) { return .included(height: UInt64(height)) }
        let code = (try? row.decode(column: "error_code", as: String?.self)) ?? nil
        let message = (try? row.decode(column: "error_message", as: String?.self)) ?? nil
        return .refused(code: code ?? "unknown", message: message ?? "")
    }
}
