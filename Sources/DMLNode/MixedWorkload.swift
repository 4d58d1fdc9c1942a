import DMLCore
import DMLLedger

/// A marketplace workload for the benchmark: in each "lane", an owner and four others run a
/// whole bounty (create, fund, enroll, submit, award, pay out), a DecentralML task (create,
/// assign, result, validate) and algorithm sales (publish, approve, purchase). Lanes share no
/// accounts or objects, so they can be submitted concurrently; each lane's transactions are
/// signed in advance, in order, and every one must succeed.
public struct MixedWorkload: Sendable {
    public static let transactionsPerLane = 34

    public let spec: ChainSpec
    /// Bounty, task and algorithm creations (and approvals), one ordered stream: identifiers
    /// are counters, so the order fixes them.
    public let creations: [SignedTransaction]
    /// Everything else, one ordered list per lane.
    public let lanes: [[SignedTransaction]]

    public var transactionCount: Int { creations.count + lanes.reduce(0) { $0 + $1.count } }

    public init(lanes laneCount: Int, genesisTimestampMilliseconds: UInt64 = 1_700_000_000_000) {
        let moderator = AccountKey.insecureDerived(from: "mixed-moderator")
        let lanesKeys = (0..<laneCount).map { lane in (0..<5).map { AccountKey.insecureDerived(from: "mixed-\(lane)-\($0)") } }
        spec = ChainSpec(
            name: "dml-bench-mixed", isDevelopment: true, genesisTimestampMilliseconds: genesisTimestampMilliseconds,
            allocations: [.init(moderator.account, .tokens(1_000)!)] + lanesKeys.flatMap { $0.map { .init($0.account, .tokens(1_000)!) } },
            superAdmins: [moderator.account])
        let chain = spec.id
        var nonces: [AccountID: UInt64] = [:]
        func sign(_ key: AccountKey, _ call: Call) -> SignedTransaction {
            let nonce = nonces[key.account, default: 0]
            nonces[key.account] = nonce + 1
            return SignedTransaction(chain: chain, key: key, nonce: nonce, call: call)
        }
        // Dates far in the future (2096): the lifecycle is driven by hand, not by the clock.
        let far: UInt64 = 4_000_000_000_000
        var creations: [SignedTransaction] = []
        for keys in lanesKeys {
            let owner = keys[0]
            creations.append(sign(owner, BountiesCall.create(BountyDraft(
                title: "lane bounty", description: "", prizes: [.tokens(3)!, .tokens(2)!], enrollmentEnd: far, submissionEnd: far + 1,
                evaluationDeadline: far + 2, expiryRule: .refundOwner), fund: true).call))
            creations.append(sign(owner, TasksCall.create(WorkTaskDraft(
                kind: .modelContribution(script: StoredArtifact(path: "QmScript", storage: .ipfs)), question: "train",
                rewardPerResult: .tokens(1)!, maxAssignments: 4, expiresAtHeight: 1_000_000, validation: .manualAccept)).call))
            creations.append(sign(owner, MarketplaceCall.publish(AlgorithmDraft(
                title: "lane algorithm", description: "", dataRequired: "", tags: ["bench"], price: .tokens(1)!, deviceFee: .zero,
                artifact: ContentAddress(digest: Hash256.of(owner.account.bytes)))).call))
        }
        for lane in lanesKeys.indices {
            creations.append(sign(moderator, MarketplaceCall.approve(Identifier(UInt64(lane + 1))).call))
        }
        var lanes: [[SignedTransaction]] = []
        for (index, keys) in lanesKeys.enumerated() {
            let owner = keys[0], others = Array(keys.dropFirst())
            let bounty = Identifier<Bounty>(UInt64(index + 1)), task = Identifier<WorkTask>(UInt64(index + 1))
            let algorithm = Identifier<Algorithm>(UInt64(index + 1))
            let artifact = ContentAddress(digest: Hash256.of([UInt8(index & 0xff)]))
            var lane: [SignedTransaction] = [sign(owner, BountiesCall.openEnrollment(bounty).call)]
            lane += others.map { sign($0, BountiesCall.enroll(bounty).call) }
            lane += [sign(owner, BountiesCall.closeEnrollment(bounty).call), sign(owner, BountiesCall.openSubmissions(bounty).call)]
            lane += others.map { sign($0, BountiesCall.submit(bounty, artifact: artifact, note: "").call) }
            lane += [sign(owner, BountiesCall.closeSubmissions(bounty).call),
                     sign(owner, BountiesCall.award(bounty, winners: [others[0].account, others[1].account]).call),
                     sign(owner, BountiesCall.payout(bounty).call)]
            lane += others.map { sign($0, TasksCall.assign(task).call) }
            lane += others.map { sign($0, TasksCall.sendResult(task, .inline("accuracy 0.9")).call) }
            lane += others.map { sign(owner, TasksCall.validate(task, worker: $0.account, ValidationVerdict(accept: true)).call) }
            lane += others.map { sign($0, MarketplaceCall.purchase(algorithm, maxPrice: .tokens(1)!).call) }
            lanes.append(lane)
        }
        self.creations = creations
        self.lanes = lanes
    }
}
