import DMLStore
import Foundation
import Logging
import SQLKit

/// The API server's own tables — users, sign-in challenges, refresh tokens, idempotent replies
/// and the query index — beside the block log: `DIR/api.sqlite` on the embedded default, or the
/// chain's PostgreSQL database (and schema).
///
/// The log stays the truth for money; these tables hold what is not on the ledger (who a user
/// is, their password hash) and what is derived from it (the index, rebuilt from the log).
public final class APIDatabase: Sendable {
    let connection: DatabaseConnection
    var sql: any SQLDatabase { connection.sql }
    var isPostgres: Bool { connection.isPostgres }

    private init(connection: DatabaseConnection) { self.connection = connection }

    /// `DATABASE_URL`'s database when the log is there, else `DIR/api.sqlite`.
    public static func location(forLog log: DatabaseLocation, dataDirectory: String) -> DatabaseLocation {
        switch log {
        case .postgres: log
        case .sqlite: .sqlite(path: (dataDirectory as NSString).appendingPathComponent("api.sqlite"))
        }
    }

    public static func open(_ location: DatabaseLocation, logger: Logger) async throws -> APIDatabase {
        let database = APIDatabase(connection: try await DatabaseConnection.open(location, logger: logger))
        do {
            try await database.migrate()
        } catch {
            await database.close()
            throw error
        }
        return database
    }

    public func close() async { await connection.close() }

    var blobType: String { isPostgres ? "BYTEA" : "BLOB" }

    /// The layout of the derived tables (the index). When it changes they are dropped and the
    /// indexer rebuilds them from the log; the tables that hold users are never dropped.
    static let indexLayout = 2
    static let indexTables = ["api_transactions", "api_events", "api_index_meta", "api_index_chain"] + IndexRows.tables

    /// Creates the tables if they are missing. Every statement is idempotent.
    func migrate() async throws {
        try await sql.raw("CREATE TABLE IF NOT EXISTS api_index_layout (version INTEGER NOT NULL)").run()
        let layout = try await sql.raw("SELECT version FROM api_index_layout").first()?.decode(column: "version", as: Int.self)
        if layout != Self.indexLayout {
            for table in Self.indexTables { try await sql.raw("DROP TABLE IF EXISTS \(unsafeRaw: table)").run() }
            try await sql.raw("DELETE FROM api_index_layout").run()
            try await sql.raw("INSERT INTO api_index_layout (version) VALUES (\(bind: Self.indexLayout))").run()
        }
        let statements = [
            """
            CREATE TABLE IF NOT EXISTS api_users (
              id TEXT PRIMARY KEY, email TEXT UNIQUE, password_hash TEXT, email_confirmed BOOLEAN NOT NULL,
              confirmation_token TEXT, account TEXT NOT NULL UNIQUE, sealed_key \(blobType),
              display_name TEXT NOT NULL, bio TEXT NOT NULL, country TEXT, website TEXT NOT NULL,
              created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL)
            """,
            "CREATE TABLE IF NOT EXISTS api_challenges (nonce TEXT PRIMARY KEY, account TEXT NOT NULL, expires_ms BIGINT NOT NULL)",
            """
            CREATE TABLE IF NOT EXISTS api_refresh_tokens (
              token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_ms BIGINT NOT NULL, revoked BOOLEAN NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS api_idempotency (
              scope TEXT NOT NULL, idempotency_key TEXT NOT NULL, request_hash TEXT NOT NULL, status INTEGER,
              body \(blobType), created_ms BIGINT NOT NULL, PRIMARY KEY (scope, idempotency_key))
            """,
            """
            CREATE TABLE IF NOT EXISTS api_bounties (
              id BIGINT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL,
              status TEXT NOT NULL, prize_pool TEXT NOT NULL, funded TEXT NOT NULL, prizes INTEGER NOT NULL,
              enrollment_end BIGINT NOT NULL, submission_end BIGINT NOT NULL, evaluation_deadline BIGINT NOT NULL,
              participants INTEGER NOT NULL, submissions INTEGER NOT NULL, updated_height BIGINT NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS api_bounties_status ON api_bounties (status, id)",
            """
            CREATE TABLE IF NOT EXISTS api_algorithms (
              id BIGINT PRIMARY KEY, creator TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL,
              tags TEXT NOT NULL, status TEXT NOT NULL, price TEXT NOT NULL, device_fee TEXT NOT NULL,
              version BIGINT NOT NULL, purchases BIGINT NOT NULL, downloads BIGINT NOT NULL, updated_height BIGINT NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS api_algorithms_status ON api_algorithms (status, id)",
            "CREATE TABLE IF NOT EXISTS api_index_meta (name TEXT PRIMARY KEY, height BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS api_index_chain (chain TEXT NOT NULL)",
            """
            CREATE TABLE IF NOT EXISTS api_transactions (
              hash TEXT PRIMARY KEY, height BIGINT NOT NULL, position INTEGER NOT NULL, signer TEXT NOT NULL,
              module TEXT NOT NULL, name TEXT NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS api_transactions_signer ON api_transactions (signer, height)",
            """
            CREATE TABLE IF NOT EXISTS api_events (
              height BIGINT NOT NULL, position INTEGER NOT NULL, tx INTEGER, module TEXT NOT NULL, name TEXT NOT NULL,
              text TEXT NOT NULL, PRIMARY KEY (height, position))
            """,
        ]
        for statement in statements + JobBoard.statements(blobType) + FederatedStore.statements(blobType) + ArtifactHolders.statements { try await sql.raw("\(unsafeRaw: statement)").run() }
    }
}
