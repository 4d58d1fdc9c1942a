import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit

/// Where the log lives: an SQLite file (the embedded default) or a PostgreSQL database.
public enum DatabaseLocation: Sendable, CustomStringConvertible {
    case sqlite(path: String)
    /// A PostgreSQL URL (`postgres://user:pass@host:port/db`), and optionally a schema to use
    /// (created if missing) so that several logs can share one database.
    case postgres(url: String, schema: String?)

    /// `DATABASE_URL` if set (in the schema `DATABASE_SCHEMA`, if that is set too), else
    /// `DIR/ledger.sqlite`.
    public static func resolve(dataDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> DatabaseLocation {
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            let schema = environment["DATABASE_SCHEMA"].flatMap { $0.isEmpty ? nil : $0 }
            return .postgres(url: url, schema: schema)
        }
        return .sqlite(path: (dataDirectory as NSString).appendingPathComponent("ledger.sqlite"))
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "SQLite \(path)"
        case .postgres(let url, let schema):
            "PostgreSQL \(Self.redacted(url))" + (schema.map { " schema \($0)" } ?? "")
        }
    }

    /// The URL without its password, for logs.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "postgres://***"
    }
}

/// One open connection and its SQLKit face. The log uses a single connection: one sequencer
/// writes, and a block is one statement, so no pool is needed. The API server opens its own
/// for its tables (users, the query index).
public final class DatabaseConnection: Sendable {
    enum Handle: Sendable {
        case sqlite(SQLiteConnection)
        case postgres(PostgresConnection)
    }

    let handle: Handle
    public let sql: any SQLDatabase
    public let isPostgres: Bool

    private init(handle: Handle, sql: any SQLDatabase, isPostgres: Bool) {
        self.handle = handle
        self.sql = sql
        self.isPostgres = isPostgres
    }

    public static func open(_ location: DatabaseLocation, logger: Logger) async throws(StoreError) -> DatabaseConnection {
        switch location {
        case .sqlite(let path):
            do {
                let directory = (path as NSString).deletingLastPathComponent
                if !directory.isEmpty {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                }
                let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                let sql = connection.sql(queryLogLevel: nil)
                do {
                    // WAL with full sync: a committed block survives a killed process and a power cut.
                    try await sql.raw("PRAGMA journal_mode=WAL").run()
                    try await sql.raw("PRAGMA synchronous=FULL").run()
                    try await sql.raw("PRAGMA busy_timeout=5000").run()
                } catch {
                    try? await (connection.close() as EventLoopFuture<Void>).get()  // cancellation-safe, see close()
                    throw StoreError(isCorruption(error) ? .corrupt : .unavailable,
                                     "cannot use the SQLite log at \(path)", cause: error)
                }
                return DatabaseConnection(handle: .sqlite(connection), sql: sql, isPostgres: false)
            } catch let error as StoreError {
                throw error
            } catch {
                throw StoreError(.unavailable, "cannot open the SQLite log at \(path)", cause: error)
            }
        case let .postgres(url, schema):
            do {
                let configuration = try SQLPostgresConfiguration(url: url)
                let connection = try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(),
                    configuration: configuration.coreConfiguration, id: 1, logger: logger)
                let sql = connection.sql(queryLogLevel: nil)
                if let schema {
                    do {
                        guard schema.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                            throw StoreError(.unavailable, "schema name '\(schema)' may contain only letters, digits and _")
                        }
                        try await sql.raw("CREATE SCHEMA IF NOT EXISTS \(unsafeRaw: schema)").run()
                        try await sql.raw("SET search_path TO \(unsafeRaw: schema)").run()
                    } catch {
                        try? await (connection.close() as EventLoopFuture<Void>).get()  // cancellation-safe, see close()
                        throw error
                    }
                }
                return DatabaseConnection(handle: .postgres(connection), sql: sql, isPostgres: true)
            } catch let error as StoreError {
                throw error
            } catch {
                throw StoreError(.unavailable, "cannot connect to \(location)", cause: error)
            }
        }
    }

    /// Closes the connection; closing again does nothing. Safe in a cancelled task: the
    /// future-based closes ignore task cancellation, whereas SQLiteNIO's `async` close skips the
    /// close when the task is already cancelled (its thread pool drops cancelled work), which
    /// would leave the handle open for the connection's deinit assertion.
    public func close() async {
        let closing: EventLoopFuture<Void> = switch handle {
        case .sqlite(let connection): connection.close()
        case .postgres(let connection): connection.close()
        }
        try? await closing.get()
    }
}

/// Whether an SQLite error means the file is damaged or is not a database at all.
func isCorruption(_ error: any Error) -> Bool {
    let text = String(describing: error).lowercased()
    return text.contains("malformed") || text.contains("not a database") || text.contains("corrupt")
}
