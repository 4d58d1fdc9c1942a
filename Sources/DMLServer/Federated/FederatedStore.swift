import DMLCore
import Foundation
import SQLKit

/// The off-ledger half of federated jobs, in the API database: each job's plan (the ledger
/// holds its digest), the requester's evaluation data, and every round's metrics and model.
struct FederatedStore: Sendable {
    let database: APIDatabase
    var sql: any SQLDatabase { database.sql }

    static func statements(_ blob: String) -> [String] { [
        """
        CREATE TABLE IF NOT EXISTS api_fl_jobs (
          job BIGINT PRIMARY KEY, plan TEXT NOT NULL, evaluation \(blob), delta DOUBLE PRECISION NOT NULL,
          epsilon DOUBLE PRECISION, created_ms BIGINT NOT NULL)
        """,
        // Plans by digest, written before the ledger call that creates the job: a process that
        // dies between the two still leaves the plan where the coordinator finds it.
        "CREATE TABLE IF NOT EXISTS api_fl_plans (digest TEXT PRIMARY KEY, plan TEXT NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS api_fl_rounds (
          job BIGINT NOT NULL, round INTEGER NOT NULL, metrics TEXT NOT NULL, model TEXT NOT NULL,
          PRIMARY KEY (job, round))
        """,
    ] }

    struct StoredJob: Sendable {
        let plan: String
        let evaluation: [UInt8]?
        let delta: Double
        let epsilon: Double?
    }

    func save(job: UInt64, plan: String, evaluation: [UInt8]?, delta: Double, epsilon: Double?, now: UInt64) async throws {
        try await sql.raw("""
            INSERT INTO api_fl_jobs (job, plan, evaluation, delta, epsilon, created_ms)
            VALUES (\(bind: Int64(job)), \(bind: plan), \(bind: evaluation.map { Data($0) }), \(bind: delta), \(bind: epsilon), \(bind: Int64(now)))
            """).run()
    }

    func savePlan(digest: String, plan: String) async throws {
        try await sql.raw("""
            INSERT INTO api_fl_plans (digest, plan) VALUES (\(bind: digest), \(bind: plan)) ON CONFLICT (digest) DO NOTHING
            """).run()
    }

    func plan(digest: String) async throws -> String? {
        try await sql.raw("SELECT plan FROM api_fl_plans WHERE digest = \(bind: digest)").first()?.decode(column: "plan", as: String.self)
    }

    /// The job's stored plan and evaluation data; for a job whose own row was never written
    /// (the creating process died after the ledger call), its plan by digest, without evaluation.
    func job(_ job: UInt64, planDigest: String) async throws -> StoredJob? {
        if let stored = try await self.job(job) { return stored }
        return try await plan(digest: planDigest).map { StoredJob(plan: $0, evaluation: nil, delta: 1e-5, epsilon: nil) }
    }

    func job(_ job: UInt64) async throws -> StoredJob? {
        guard let row = try await sql.raw("""
            SELECT plan, evaluation, delta, epsilon FROM api_fl_jobs WHERE job = \(bind: Int64(job))
            """).first() else { return nil }
        return StoredJob(plan: try row.decode(column: "plan", as: String.self),
                         evaluation: try row.decode(column: "evaluation", as: Data?.self).map { [UInt8]($0) },
                         delta: try row.decode(column: "delta", as: Double.self),
                         epsilon: try row.decode(column: "epsilon", as: Double?.self))
    }

    /// Records a finished round; recording the same round again keeps the first.
    func saveRound(job: UInt64, round: Int, metrics: String, model: String) async throws {
        try await sql.raw("""
            INSERT INTO api_fl_rounds (job, round, metrics, model) VALUES (\(bind: Int64(job)), \(bind: round), \(bind: metrics), \(bind: model))
            ON CONFLICT (job, round) DO NOTHING
            """).run()
    }

    /// Every recorded round of a job, oldest first: (round, metrics JSON, model CID).
    func rounds(job: UInt64) async throws -> [(round: Int, metrics: String, model: String)] {
        try await sql.raw("""
            SELECT round, metrics, model FROM api_fl_rounds WHERE job = \(bind: Int64(job)) ORDER BY round
            """).all().map { row in
            (try row.decode(column: "round", as: Int.self), try row.decode(column: "metrics", as: String.self),
             try row.decode(column: "model", as: String.self))
        }
    }
}
