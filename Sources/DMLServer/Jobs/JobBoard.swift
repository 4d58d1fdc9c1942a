import DMLCore
import Foundation
import SQLKit

/// The off-ledger half of jobs, in the API database: who is working on what (leases) and what
/// each device sent (results). The ledger keeps the money and the digests of paid results;
/// these tables keep the bytes and the bookkeeping, shared by every API process.
struct JobBoard: Sendable {
    let database: APIDatabase
    var sql: any SQLDatabase { database.sql }

    static func statements(_ blob: String) -> [String] { [
        """
        CREATE TABLE IF NOT EXISTS api_job_leases (
          job BIGINT NOT NULL, device TEXT NOT NULL, lease TEXT NOT NULL UNIQUE, nonce TEXT NOT NULL,
          challenge \(blob), expires_ms BIGINT NOT NULL, done BOOLEAN NOT NULL, PRIMARY KEY (job, device))
        """,
        "CREATE INDEX IF NOT EXISTS api_job_leases_live ON api_job_leases (job, done, expires_ms)",
        """
        CREATE TABLE IF NOT EXISTS api_job_results (
          job BIGINT NOT NULL, device TEXT NOT NULL, output \(blob) NOT NULL, receipt TEXT NOT NULL,
          challenged BOOLEAN NOT NULL, audited BOOLEAN NOT NULL, tx_hash TEXT NOT NULL, height BIGINT NOT NULL,
          created_ms BIGINT NOT NULL, PRIMARY KEY (job, device))
        """,
    ] }

    struct Lease: Sendable {
        let job: UInt64
        let device: AccountID
        let id: String
        let nonce: Hash256
        let challenge: [UInt8]?
        let expiresAt: UInt64
        let done: Bool
    }

    struct StoredResult: Sendable {
        let device: AccountID
        let output: [UInt8]
        let receipt: String
        let challenged: Bool
        let audited: Bool
        let transaction: String
        let height: UInt64
        let createdAt: UInt64
    }

    func lease(job: UInt64, device: AccountID) async throws -> Lease? {
        let row = try await sql.raw("""
            SELECT lease, nonce, challenge, expires_ms, done FROM api_job_leases
            WHERE job = \(bind: Int64(job)) AND device = \(bind: device.address)
            """).first()
        guard let row else { return nil }
        return Lease(job: job, device: device, id: try row.decode(column: "lease", as: String.self),
                     nonce: Hash256(hex: try row.decode(column: "nonce", as: String.self)) ?? .zero,
                     challenge: try row.decode(column: "challenge", as: Data?.self).map { [UInt8]($0) },
                     expiresAt: UInt64(try row.decode(column: "expires_ms", as: Int64.self)),
                     done: try row.decode(column: "done", as: Bool.self))
    }

    /// Live (unexpired, unfinished) leases on `job`.
    func liveLeases(job: UInt64, now: UInt64) async throws -> Int {
        let row = try await sql.raw("""
            SELECT COUNT(*) AS n FROM api_job_leases
            WHERE job = \(bind: Int64(job)) AND done = \(bind: false) AND expires_ms >= \(bind: Int64(now))
            """).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Grants (or renews an expired) lease; `nil` when the device holds a live or finished one.
    func grant(job: UInt64, device: AccountID, challenge: [UInt8]?, expiresAt: UInt64, now: UInt64) async throws -> Lease? {
        if let existing = try await lease(job: job, device: device), existing.done || existing.expiresAt >= now { return nil }
        let id = UUID().uuidString.lowercased()
        let nonce = Hash256.of(Array("dml-job-lease:\(job):\(device.address):\(id)".utf8))
        try await sql.raw("DELETE FROM api_job_leases WHERE job = \(bind: Int64(job)) AND device = \(bind: device.address)").run()
        try await sql.raw("""
            INSERT INTO api_job_leases (job, device, lease, nonce, challenge, expires_ms, done)
            VALUES (\(bind: Int64(job)), \(bind: device.address), \(bind: id), \(bind: nonce.hex),
                    \(bind: challenge.map { Data($0) }), \(bind: Int64(expiresAt)), \(bind: false))
            """).run()
        return Lease(job: job, device: device, id: id, nonce: nonce, challenge: challenge, expiresAt: expiresAt, done: false)
    }

    func finish(lease: Lease) async throws {
        try await sql.raw("UPDATE api_job_leases SET done = \(bind: true) WHERE lease = \(bind: lease.id)").run()
    }

    func addResult(job: UInt64, _ result: StoredResult) async throws {
        try await sql.raw("""
            INSERT INTO api_job_results (job, device, output, receipt, challenged, audited, tx_hash, height, created_ms)
            VALUES (\(bind: Int64(job)), \(bind: result.device.address), \(bind: Data(result.output)), \(bind: result.receipt),
                    \(bind: result.challenged), \(bind: result.audited), \(bind: result.transaction), \(bind: Int64(result.height)),
                    \(bind: Int64(result.createdAt)))
            """).run()
    }

    func markPaid(job: UInt64, device: AccountID, transaction: String, height: UInt64) async throws {
        try await sql.raw("""
            UPDATE api_job_results SET tx_hash = \(bind: transaction), height = \(bind: Int64(height))
            WHERE job = \(bind: Int64(job)) AND device = \(bind: device.address)
            """).run()
    }

    func deleteResult(job: UInt64, device: AccountID) async throws {
        try await sql.raw("DELETE FROM api_job_results WHERE job = \(bind: Int64(job)) AND device = \(bind: device.address)").run()
    }

    /// When `device`'s stored result on `job` was kept, if it was never marked paid.
    func unpaidResultTime(job: UInt64, device: AccountID) async throws -> UInt64? {
        let row = try await sql.raw("""
            SELECT created_ms FROM api_job_results
            WHERE job = \(bind: Int64(job)) AND device = \(bind: device.address) AND tx_hash = \(bind: "")
            """).first()
        return try row.map { UInt64(try $0.decode(column: "created_ms", as: Int64.self)) }
    }

    func hasResult(job: UInt64, device: AccountID) async throws -> Bool {
        try await sql.raw("SELECT 1 AS one FROM api_job_results WHERE job = \(bind: Int64(job)) AND device = \(bind: device.address)")
            .first() != nil
    }

    /// Every result of `job` (or only `device`'s), in device order.
    func results(job: UInt64, device: AccountID? = nil) async throws -> [StoredResult] {
        let rows = try await sql.raw("""
            SELECT device, output, receipt, challenged, audited, tx_hash, height, created_ms FROM api_job_results
            WHERE job = \(bind: Int64(job)) ORDER BY device
            """).all()
        return try rows.compactMap { row in
            guard let account = try? AccountID(address: try row.decode(column: "device", as: String.self)) else { return nil }
            if let device, device != account { return nil }
            return StoredResult(device: account, output: [UInt8](try row.decode(column: "output", as: Data.self)),
                                receipt: try row.decode(column: "receipt", as: String.self),
                                challenged: try row.decode(column: "challenged", as: Bool.self),
                                audited: try row.decode(column: "audited", as: Bool.self),
                                transaction: try row.decode(column: "tx_hash", as: String.self),
                                height: UInt64(try row.decode(column: "height", as: Int64.self)),
                                createdAt: UInt64(try row.decode(column: "created_ms", as: Int64.self)))
        }
    }
}
