import DMLCore

/// Federated: devices train a model together in rounds; each device whose update goes into a
/// round is paid for that round from escrow.
///
/// ```
/// Open ──complete (final model)──▶ Completed   (unpaid rewards refunded)
///   └──deadline passed, requester or validator closes──▶ Closed (unpaid rewards refunded)
/// ```
///
/// `reward × rounds × devicesPerRound` is escrowed at creation, and the job's stated privacy
/// spend is taken from its dataset's budget (Privacy) in the same transaction — so a job that
/// would exceed the budget never starts. Round by round, the validator (the API server that
/// coordinates the job) records the new model's digest and pays the devices whose updates it
/// aggregated: at most `devicesPerRound`, each once per round, never the requester. Updates,
/// masks and models live off the ledger; the ledger keeps the money and the model digests.
///
/// Invariant: each job's escrow equals its `rewardsHeld`, which is
/// `reward × (rounds × devicesPerRound − paidCount)` while open and zero afterwards.
public enum Federated {
    public static let roundsMax: UInt32 = 10_000
    public static let devicesPerRoundMax: UInt32 = 1_000
    public static let jobsPerRequesterMax = 100_000

    static let jobs = StorageMap<Identifier<FederatedJob>, FederatedJob>(module: .federated, map: 0)
    static let nextJob = StorageMap<Unit, Identifier<FederatedJob>>(module: .federated, map: 1)
    /// (job, round number) → the recorded round.
    static let rounds = StorageMap<Pair<Identifier<FederatedJob>, UInt32>, FederatedRound>(module: .federated, map: 2)
    static let byRequester = StorageMap<AccountID, [Identifier<FederatedJob>]>(module: .federated, map: 3)

    public static func rewardEscrow(_ id: Identifier<FederatedJob>) -> EscrowID {
        EscrowID(module: .federated, purpose: 0, id: id.rawValue)
    }

    public static func job(_ id: Identifier<FederatedJob>, in context: CallContext) -> FederatedJob? { context.get(jobs, id) }

    public static func round(_ id: Identifier<FederatedJob>, _ round: UInt32, in context: CallContext) -> FederatedRound? {
        context.get(rounds, Pair(id, round))
    }

    public static func jobs(by requester: AccountID, in context: CallContext) -> [Identifier<FederatedJob>] {
        context.get(byRequester, requester) ?? []
    }

    /// The newest identifier handed out (jobs are numbered from 1).
    public static func lastJob(in context: CallContext) -> UInt64 {
        (context.get(nextJob, Unit())?.rawValue ?? 1) - 1
    }
}
