import DMLCore

/// Jobs: devices run an algorithm on their own data; each accepted result is paid from escrow.
///
/// ```
/// Open ──every slot paid──▶ Completed
///   └──deadline passed, requester or validator closes──▶ Closed (unpaid rewards refunded)
/// ```
///
/// `rewardPerDevice × devices` is escrowed at creation. Only the job's validator pays, once per
/// device, at most `devices` times, never the requester. Results themselves, assignments and
/// leases live off the ledger (the API server keeps them); the ledger keeps the money and, for
/// each paid device, the digests of the receipt and output it was paid for, so a report can be
/// checked against the chain.
///
/// Invariant: each job's escrow equals its `rewardsHeld`, which is
/// `rewardPerDevice × (devices − accepted)` while open and zero once completed or closed.
public enum Jobs {
    public static let requirementsBytesMax = 512
    public static let devicesMax: UInt32 = 100_000
    public static let jobsPerRequesterMax = 100_000

    static let jobs = StorageMap<Identifier<Job>, Job>(module: .jobs, map: 0)
    static let nextJob = StorageMap<Unit, Identifier<Job>>(module: .jobs, map: 1)
    /// (job, device) → the payment, once accepted.
    static let payments = StorageMap<Pair<Identifier<Job>, AccountID>, JobPayment>(module: .jobs, map: 2)
    static let byRequester = StorageMap<AccountID, [Identifier<Job>]>(module: .jobs, map: 3)

    public static func rewardEscrow(_ id: Identifier<Job>) -> EscrowID { EscrowID(module: .jobs, purpose: 0, id: id.rawValue) }

    public static func job(_ id: Identifier<Job>, in context: CallContext) -> Job? { context.get(jobs, id) }

    public static func payment(_ id: Identifier<Job>, device: AccountID, in context: CallContext) -> JobPayment? {
        context.get(payments, Pair(id, device))
    }

    /// Every payment of a job, by device (reads the whole map: for reports, not hot paths).
    public static func payments(of id: Identifier<Job>, in context: CallContext) -> [(device: AccountID, payment: JobPayment)] {
        context.entries(payments).filter { $0.0.first == id }.map { ($0.0.second, $0.1) }.sorted { $0.device < $1.device }
    }

    public static func jobs(by requester: AccountID, in context: CallContext) -> [Identifier<Job>] {
        context.get(byRequester, requester) ?? []
    }

    /// The newest identifier handed out (jobs are numbered from 1).
    public static func lastJob(in context: CallContext) -> UInt64 {
        (context.get(nextJob, Unit())?.rawValue ?? 1) - 1
    }
}
