import DMLBlobs
import DMLCore
import DMLLedger
import SQLKit

/// Who is known to hold an artifact's bytes, and which jobs this server vetted: what decides
/// who may read an artifact. Knowing a CID is never enough (CIDs are public: listings, jobs and
/// events show them).
///
/// - An account *holds* a CID when it uploaded those bytes here, or when it is the requester of
///   the federated job whose final model they are. Only a holder may name a CID in a listing.
/// - A listing's bytes are served (to its creator, buyers and moderators) only while its creator
///   holds them: a listing that names bytes its creator never had serves nothing to anyone.
/// - A job's package is served, and the job leased to devices, only when its requester holds the
///   package or the job was created through `POST /v1/jobs` (which checks that the requester
///   created or bought a listing of it). A self-signed job naming someone else's CID gets
///   neither.
///
/// These tables hold facts about people, not an index of the chain: they are never dropped.
struct ArtifactHolders: Sendable {
    let database: APIDatabase

    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS api_artifact_holders (
          cid TEXT NOT NULL, account TEXT NOT NULL, source TEXT NOT NULL, created_ms BIGINT NOT NULL,
          PRIMARY KEY (cid, account))
        """,
        "CREATE TABLE IF NOT EXISTS api_vetted_jobs (job BIGINT PRIMARY KEY, created_ms BIGINT NOT NULL)",
    ]

    /// How an account came to hold bytes.
    enum Source: String {
        case upload, federated, backfill
    }

    var sql: any SQLDatabase { database.sql }

    /// Records that `account` holds `cid` (idempotent).
    func record(_ cid: ContentID, holder account: AccountID, source: Source, now: UInt64) async throws {
        try await sql.raw("""
            INSERT INTO api_artifact_holders (cid, account, source, created_ms)
            VALUES (\(bind: cid.description), \(bind: account.address), \(bind: source.rawValue), \(bind: Int64(now)))
            ON CONFLICT (cid, account) DO NOTHING
            """).run()
    }

    func holds(_ cid: ContentID, _ account: AccountID) async throws -> Bool {
        try await sql.raw("""
            SELECT 1 AS one FROM api_artifact_holders WHERE cid = \(bind: cid.description) AND account = \(bind: account.address)
            """).first() != nil
    }

    /// Marks a job created through `POST /v1/jobs` (its requester's right to the package checked).
    func vet(job: UInt64, now: UInt64) async throws {
        try await sql.raw("""
            INSERT INTO api_vetted_jobs (job, created_ms) VALUES (\(bind: Int64(job)), \(bind: Int64(now))) ON CONFLICT (job) DO NOTHING
            """).run()
    }

    /// Whether devices may be given `job`'s package: vetted here, or its requester holds it.
    func mayServePackage(of job: Identifier<Job>, _ draft: JobDraft, requester: AccountID) async throws -> Bool {
        if try await sql.raw("SELECT 1 AS one FROM api_vetted_jobs WHERE job = \(bind: Int64(job.rawValue))").first() != nil { return true }
        guard let cid = try? ContentID(bytes: draft.artifact.bytes) else { return false }
        return try await holds(cid, requester)
    }

    /// Once, on a server that kept artifacts before holders were recorded: every listing
    /// version's creator holds its artifact, every job so far is vetted. (This also legitimises
    /// a copy made before the rule existed; an operator can look for a CID held by two creators.)
    func backfillIfNew(_ ledger: LedgerAccess, artifacts: FileBlobStore, now: UInt64) async throws {
        let marker = "artifact_holders_backfilled"
        let done = try await sql.raw("SELECT 1 AS one FROM api_index_meta WHERE name = \(bind: marker)").first() != nil
        let anyHolder = try await sql.raw("SELECT 1 AS one FROM api_artifact_holders LIMIT 1").first() != nil
        guard !done, !anyHolder else { return }
        let (listed, jobs) = await ledger.reading { state -> ([(ContentAddress, AccountID)], [UInt64]) in
            var listed: [(ContentAddress, AccountID)] = []
            var id = Identifier<Algorithm>(1)
            while let algorithm = Marketplace.algorithm(id, in: state) {
                listed.append((algorithm.draft.artifact, algorithm.creator))
                var version: UInt32 = 1
                while let published = Marketplace.version(id, version, in: state) {
                    listed.append((published.artifact, algorithm.creator))
                    version += 1
                }
                id = Identifier(id.rawValue + 1)
            }
            let lastJob = Jobs.lastJob(in: state)
            return (listed, lastJob == 0 ? [] : Array(1...lastJob))
        }
        for (address, creator) in listed {
            guard let cid = try? ContentID(bytes: address.bytes), artifacts.contains(cid) else { continue }
            try await record(cid, holder: creator, source: .backfill, now: now)
        }
        for job in jobs { try await vet(job: job, now: now) }
        try await sql.raw("INSERT INTO api_index_meta (name, height) VALUES (\(bind: marker), 0)").run()
    }
}
