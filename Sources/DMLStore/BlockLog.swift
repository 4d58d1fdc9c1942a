import DMLCore
import DMLLedger
import Foundation
import Logging
import SQLKit

/// The durable, append-only log of blocks, plus snapshots of the state, in SQLite or
/// PostgreSQL through the same SQLKit code.
///
/// A block is one row written by one statement, so it is either wholly there or not at all,
/// whatever moment the process is killed. The log is the truth: the in-memory ledger is
/// rebuilt from it (latest snapshot, then the blocks after it).
public final class BlockLog: Sendable {
    /// Bumped if the table layout ever changes.
    static let formatVersion = 1

    public let location: DatabaseLocation
    private let connection: DatabaseConnection

    private init(location: DatabaseLocation, connection: DatabaseConnection) {
        self.location = location
        self.connection = connection
    }

    /// Opens (creating tables if needed) the log at `location`.
    public static func open(_ location: DatabaseLocation, logger: Logger = Logger(label: "dml.store")) async throws(StoreError) -> BlockLog {
        let connection = try await DatabaseConnection.open(location, logger: logger)
        let log = BlockLog(location: location, connection: connection)
        do {
            try await log.createTables()
        } catch {
            await connection.close()
            throw error
        }
        return log
    }

    public func close() async { await connection.close() }

    var sql: any SQLDatabase { connection.sql }
    var isPostgres: Bool { connection.isPostgres }
    var blobType: String { connection.isPostgres ? "BYTEA" : "BLOB" }

    private func createTables() async throws(StoreError) {
        try await run("create the log tables") {
            try await sql.raw("CREATE TABLE IF NOT EXISTS dml_meta (key TEXT PRIMARY KEY, value \(unsafeRaw: blobType) NOT NULL)").run()
            try await sql.raw("""
                CREATE TABLE IF NOT EXISTS dml_blocks (height BIGINT PRIMARY KEY, hash \(unsafeRaw: blobType) NOT NULL,
                block \(unsafeRaw: blobType) NOT NULL)
                """).run()
            try await sql.raw("""
                CREATE TABLE IF NOT EXISTS dml_snapshots (height BIGINT PRIMARY KEY, state_root \(unsafeRaw: blobType) NOT NULL,
                entries \(unsafeRaw: blobType) NOT NULL)
                """).run()
        }
        try await createInboxTable()
    }

    // MARK: - Chain spec

    /// The chain spec this log was created with, or `nil` for an empty log.
    public func chainSpec() async throws(StoreError) -> ChainSpec? {
        let row = try await run("read the chain spec") {
            try await sql.raw("SELECT value FROM dml_meta WHERE key = 'chain_spec'").first()
        }
        guard let row else { return nil }
        let bytes = try decodeBlob(row, column: "value", what: "chain spec")
        do {
            return try ChainSpec(canonicalBytes: bytes)
        } catch {
            throw StoreError(.corrupt, "the stored chain spec does not decode: \(error)")
        }
    }

    /// Starts the log with `spec` and its genesis block, in one transaction.
    public func initialize(spec: ChainSpec, genesis: Block) async throws(StoreError) {
        if let existing = try await chainSpec() {
            guard existing.id == spec.id else {
                throw StoreError(.chainMismatch, "the log at \(location) holds chain \(existing.id.short), not \(spec.id.short)")
            }
            return
        }
        try await run("write the genesis") {
            try await sql.raw("BEGIN").run()
            do {
                try await sql.raw("INSERT INTO dml_meta (key, value) VALUES ('chain_spec', \(bind: Data(spec.canonicalBytes)))").run()
                try await insert(genesis)
                try await sql.raw("COMMIT").run()
            } catch {
                try? await sql.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    // MARK: - Blocks

    /// Appends `block` durably; returns once it is committed. Fails if a block already
    /// exists at that height.
    public func append(_ block: Block) async throws(StoreError) {
        do {
            try await insert(block)
        } catch {
            throw StoreError(.writeFailed, "block \(block.height) was not stored", cause: error)
        }
    }

    private func insert(_ block: Block) async throws {
        try await sql.raw("""
            INSERT INTO dml_blocks (height, hash, block)
            VALUES (\(bind: Int64(block.height)), \(bind: Data(block.hash.bytes)), \(bind: Data(block.canonicalBytes)))
            """).run()
    }

    /// The highest stored height, or `nil` for an empty log.
    public func headHeight() async throws(StoreError) -> UInt64? {
        let row = try await run("read the head height") {
            try await sql.raw("SELECT MAX(height) AS height FROM dml_blocks").first()
        }
        // MAX over no rows is NULL: an empty log.
        guard let row, let height = try? row.decode(column: "height", as: Int64?.self) else { return nil }
        return UInt64(height)
    }

    /// The block at `height`, or `nil` if there is none.
    public func block(at height: UInt64) async throws(StoreError) -> Block? {
        try await blocks(from: height, limit: 1).first
    }

    /// Up to `limit` consecutive blocks starting at `from`, each checked against its stored hash.
    public func blocks(from height: UInt64, limit: Int) async throws(StoreError) -> [Block] {
        // Heights are stored as signed 64-bit integers; none is that high.
        guard height <= UInt64(Int64.max) else { return [] }
        let rows = try await run("read blocks from \(height)") {
            try await sql.raw("""
                SELECT height, hash, block FROM dml_blocks WHERE height >= \(bind: Int64(height))
                ORDER BY height LIMIT \(bind: limit)
                """).all()
        }
        var blocks: [Block] = []
        for row in rows {
            let storedHeight = (try? row.decode(column: "height", as: Int64.self)).map(UInt64.init) ?? 0
            let bytes = try decodeBlob(row, column: "block", what: "block \(storedHeight)")
            let storedHash = try decodeBlob(row, column: "hash", what: "block \(storedHeight) hash")
            let block: Block
            do {
                block = try Block(canonicalBytes: bytes)
            } catch {
                throw StoreError(.corrupt, "block \(storedHeight) does not decode: \(error)")
            }
            guard block.height == storedHeight else {
                throw StoreError(.corrupt, "the row for height \(storedHeight) holds block \(block.height)")
            }
            guard block.hash.bytes == storedHash else {
                throw StoreError(.corrupt, "block \(storedHeight) hashes to \(block.hash.short), its row says \(Hex.encode(storedHash.prefix(8)))")
            }
            blocks.append(block)
        }
        return blocks
    }

    /// The number of bytes the stored blocks take (their encodings, without database overhead).
    public func storedBlockBytes() async throws(StoreError) -> Int {
        let lengthFunction = connection.isPostgres ? "OCTET_LENGTH" : "LENGTH"
        let row = try await run("measure the log") {
            try await sql.raw("SELECT COALESCE(SUM(\(unsafeRaw: lengthFunction)(block)), 0) AS total FROM dml_blocks").first()
        }
        return (try? row?.decode(column: "total", as: Int64.self)).flatMap { $0 }.map(Int.init) ?? 0
    }

    // MARK: - Snapshots

    /// A stored copy of the whole state after the block at `height`.
    public struct Snapshot: Sendable {
        public let height: UInt64
        public let stateRoot: Hash256
        public let entries: [StateKey: [UInt8]]
    }

    /// Stores the state after block `height` and keeps only the newest `keep` snapshots.
    public func saveSnapshot(height: UInt64, stateRoot: Hash256, entries: [(key: StateKey, value: [UInt8])], keep: Int = 2) async throws(StoreError) {
        var writer = ByteWriter(capacity: entries.count * 64)
        writer.write(UInt64(entries.count))
        for entry in entries {
            writer.writeVariable(entry.key.bytes)
            writer.writeVariable(entry.value)
        }
        let payload = Data(writer.bytes)
        try await run("write the snapshot at \(height)") {
            try await sql.raw("""
                INSERT INTO dml_snapshots (height, state_root, entries)
                VALUES (\(bind: Int64(height)), \(bind: Data(stateRoot.bytes)), \(bind: payload))
                """).run()
            try await sql.raw("""
                DELETE FROM dml_snapshots WHERE height NOT IN
                (SELECT height FROM dml_snapshots ORDER BY height DESC LIMIT \(bind: keep))
                """).run()
        }
    }

    /// The newest snapshot, or `nil`.
    public func latestSnapshot() async throws(StoreError) -> Snapshot? {
        let row = try await run("read the latest snapshot") {
            try await sql.raw("SELECT height, state_root, entries FROM dml_snapshots ORDER BY height DESC LIMIT 1").first()
        }
        guard let row else { return nil }
        guard let height = try? row.decode(column: "height", as: Int64.self) else {
            throw StoreError(.corrupt, "a snapshot row has no height")
        }
        let what = "snapshot at \(height)"
        guard let root = Hash256(bytes: try decodeBlob(row, column: "state_root", what: what)) else {
            throw StoreError(.corrupt, "\(what) has a state root that is not 32 bytes")
        }
        var reader = ByteReader(try decodeBlob(row, column: "entries", what: what))
        var entries: [StateKey: [UInt8]] = [:]
        do {
            let count = try reader.readUInt64("entry count")
            guard count <= UInt64(reader.remaining) else { throw DecodingError.tooLong(field: "entry count", offset: 0, length: Int(clamping: count), max: reader.remaining) }
            entries.reserveCapacity(Int(count))
            for _ in 0..<count {
                let key = try reader.readVariable(maxBytes: 1 << 16, "key")
                entries[StateKey(raw: key)] = try reader.readVariable(maxBytes: 1 << 24, "value")
            }
            try reader.expectEnd("snapshot")
        } catch {
            throw StoreError(.corrupt, "\(what) does not decode: \(error)")
        }
        return Snapshot(height: UInt64(height), stateRoot: root, entries: entries)
    }

    // MARK: - Helpers

    func decodeBlob(_ row: any SQLRow, column: String, what: String) throws(StoreError) -> [UInt8] {
        do {
            return [UInt8](try row.decode(column: column, as: Data.self))
        } catch {
            throw StoreError(.corrupt, "\(what): column \(column) is not bytes", cause: error)
        }
    }

    func run<Result>(_ what: String, _ body: () async throws -> Result) async throws(StoreError) -> Result {
        do {
            return try await body()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(isCorruption(error) ? .corrupt : .unavailable, "could not \(what) in \(location)", cause: error)
        }
    }
}
