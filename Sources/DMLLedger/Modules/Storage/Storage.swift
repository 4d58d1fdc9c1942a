import DMLCore

/// Storage: the storage network's contract — nodes, clusters, buckets, rent and usage billing
/// (seed 004's `ddc_bucket`, v0.5.1 semantics with v1.0's node keys, ring tokens and bonds).
///
/// ```
/// provider: createNode ─ grants trust (Roles) to a manager
/// manager:  createCluster ─ addNode(vnodes on the ring) ─ setNodeStatus ─ … ─ removeCluster (empty)
/// owner:    deposit ─ createBucket ─ allocate(resource) ═ rent flows continuously ═▶
/// anyone:   settleBucket (owner's deposit → cluster revenue) ─ distributeRevenues
///           (network fee → destination, management fee → manager, equal shares → providers)
/// node:     reportUsage(bucket, served bytes so far) (owner's bond → node's earnings, protocol fee)
/// ```
///
/// Money: every token the module holds sits in one escrow; the records (accounts, cluster
/// revenues, node earnings, protocol revenue) say whose each part is. Rent is priced in USD units and converted at
/// the exchange rate when it is settled; both conversions round down.
///
/// Invariants: each escrow equals the records that say who it belongs to; each node's free
/// resource plus what its vnodes reserve equals its capacity; a cluster's vnode count, ring and
/// total rent agree with its nodes; its allocation equals its buckets' and fits its capacity;
/// each account's payable schedule is the sum of its buckets' flows.
public enum Storage {
    /// Seed 004's limit on each params record.
    public static let paramsBytesMax = 100_000
    /// Seed 004 HEAD's limits.
    public static let clusterNodesMax = 200
    public static let clusterVNodesMax = 1_800
    public static let bucketAccessMax = 100
    /// How long unbonded tokens wait before they return to the deposit (seed 004: one week).
    public static let unbondingMilliseconds: UInt64 = 7 * 24 * 3_600 * 1_000
    /// Seed 004's "1 cent per GB" CDN rate, in USD units.
    public static let defaultUsageRatePerGB: UInt64 = 10_000_000
    public static let bytesPerGB: UInt64 = 1_000_000_000
    /// Bytes a node may hold for a bucket per unit of the bucket's resource.
    public static let bytesPerResourceUnit: UInt64 = 1 << 20

    static let nodes = StorageMap<NodeKey, StorageNode>(module: .storage, map: 0)
    static let clusters = StorageMap<Identifier<StorageCluster>, StorageCluster>(module: .storage, map: 1)
    static let nextCluster = StorageMap<Unit, Identifier<StorageCluster>>(module: .storage, map: 2)
    /// (cluster, node) → the node's ring tokens, ascending.
    static let nodeVNodes = StorageMap<Pair<Identifier<StorageCluster>, NodeKey>, [UInt64]>(module: .storage, map: 3)
    /// (cluster, token) → node: the ring, in token order.
    static let ring = StorageMap<Pair<Identifier<StorageCluster>, UInt64>, NodeKey>(module: .storage, map: 4)
    static let buckets = StorageMap<Identifier<StorageBucket>, StorageBucket>(module: .storage, map: 5)
    static let nextBucket = StorageMap<Unit, Identifier<StorageBucket>>(module: .storage, map: 6)
    static let accounts = StorageMap<AccountID, StorageAccount>(module: .storage, map: 7)
    static let exchangeRate = StorageMap<Unit, ExchangeRate>(module: .storage, map: 8)
    static let fees = StorageMap<Unit, StorageFees>(module: .storage, map: 9)
    /// (bucket, node) → the node's last usage report for the bucket.
    static let usage = StorageMap<Pair<Identifier<StorageBucket>, NodeKey>, UsageCounter>(module: .storage, map: 10)
    /// (cluster, node) → usage payments the node has earned and not yet been paid.
    static let earnings = StorageMap<Pair<Identifier<StorageCluster>, NodeKey>, Amount>(module: .storage, map: 11)

    /// Tokens the protocol fee has collected and a super-admin has not paid out.
    static let protocolRevenue = StorageMap<Unit, Amount>(module: .storage, map: 12)

    /// The one escrow holding every token the module owes: deposits, bonds, unbonding amounts,
    /// undistributed rent, node earnings and protocol revenue. The module's records say whose
    /// each part is, and the invariants prove they add up to the escrow.
    public static let escrow = EscrowID(module: .storage, purpose: 0, id: 0)

    // MARK: - Queries

    public static func node(_ key: NodeKey, in context: CallContext) -> StorageNode? { context.get(nodes, key) }
    public static func cluster(_ id: Identifier<StorageCluster>, in context: CallContext) -> StorageCluster? {
        context.get(clusters, id)
    }
    public static func bucket(_ id: Identifier<StorageBucket>, in context: CallContext) -> StorageBucket? {
        context.get(buckets, id)
    }
    public static func account(_ id: AccountID, in context: CallContext) -> StorageAccount? { context.get(accounts, id) }
    public static func exchangeRate(in context: CallContext) -> ExchangeRate { context.get(exchangeRate, Unit()) ?? .default }
    public static func fees(in context: CallContext) -> StorageFees { context.get(fees, Unit()) ?? .none }
    public static func protocolRevenue(in context: CallContext) -> Amount { context.get(protocolRevenue, Unit()) ?? .zero }
    public static func earnings(of node: NodeKey, in cluster: Identifier<StorageCluster>, context: CallContext) -> Amount {
        context.get(earnings, Pair(cluster, node)) ?? .zero
    }
    public static func usage(of bucket: Identifier<StorageBucket>, by node: NodeKey, in context: CallContext) -> UsageCounter {
        context.get(usage, Pair(bucket, node)) ?? UsageCounter()
    }

    /// The ring tokens `node` holds in `cluster`, ascending.
    public static func vnodes(of node: NodeKey, in cluster: Identifier<StorageCluster>, context: CallContext) -> [UInt64] {
        context.get(nodeVNodes, Pair(cluster, node)) ?? []
    }

    /// The cluster's ring: every token and its node, in token order.
    public static func ring(of cluster: Identifier<StorageCluster>, in context: CallContext) -> [(token: UInt64, node: NodeKey)] {
        guard let record = self.cluster(cluster, in: context) else { return [] }
        return record.nodes.flatMap { node in vnodes(of: node, in: cluster, context: context).map { (token: $0, node: node) } }
            .sorted { $0.token < $1.token }
    }

    /// The rent an account's deposit can still pay, and until when.
    public struct AccountStatus: Hashable, Sendable {
        public let account: StorageAccount
        /// Deposit not claimed by rent accrued so far.
        public let withdrawable: Amount
        /// Rent accrued and not yet settled, in tokens.
        public let locked: Amount
        /// When accrued rent will exceed the deposit (ms); `UInt64.max` if it never will.
        public let rentCoveredUntil: UInt64
    }

    /// `nil` if the account has never used the storage network.
    public static func status(of id: AccountID, in context: CallContext) -> AccountStatus? {
        guard let account = account(id, in: context) else { return nil }
        let rate = exchangeRate(in: context)
        let now = context.environment.timestampMilliseconds
        let locked = rate.tokens(forUSD: account.payable.value(at: now)) ?? .max
        return AccountStatus(account: account, withdrawable: account.deposit.subtracting(locked) ?? .zero,
                             locked: min(locked, account.deposit),
                             rentCoveredUntil: account.payable.time(ofValue: rate.usd(for: account.deposit)))
    }

    /// Until when the owner's deposit covers `bucket`'s rent (nodes serve a bucket only before
    /// then); `nil` for an unknown bucket.
    public static func rentCoveredUntil(_ bucket: Identifier<StorageBucket>, in context: CallContext) -> UInt64? {
        guard let record = self.bucket(bucket, in: context) else { return nil }
        return status(of: record.owner, in: context)?.rentCoveredUntil ?? .max
    }

    /// A page of nodes in key order, optionally only `provider`'s or those with `status`.
    public static func nodes(offset: Int, limit: Int, provider: AccountID? = nil, status: NodeStatus? = nil,
                             in context: CallContext) -> (page: [(NodeKey, StorageNode)], total: Int) {
        let all = context.entries(nodes).filter { entry in
            (provider == nil || entry.1.provider == provider) && (status == nil || entry.1.status == status)
        }
        return (Array(all.dropFirst(max(0, offset)).prefix(max(0, limit))), all.count)
    }

    /// A page of clusters in id order, optionally only `manager`'s.
    public static func clusters(offset: Int, limit: Int, manager: AccountID? = nil, in context: CallContext)
        -> (page: [(Identifier<StorageCluster>, StorageCluster)], total: Int) {
        let all = context.entries(clusters).filter { manager == nil || $0.1.manager == manager }
        return (Array(all.dropFirst(max(0, offset)).prefix(max(0, limit))), all.count)
    }

    /// A page of buckets in id order, optionally only `owner`'s.
    public static func buckets(offset: Int, limit: Int, owner: AccountID? = nil, in context: CallContext)
        -> (page: [(Identifier<StorageBucket>, StorageBucket)], total: Int) {
        let all = context.entries(buckets).filter { owner == nil || $0.1.owner == owner }
        return (Array(all.dropFirst(max(0, offset)).prefix(max(0, limit))), all.count)
    }
}

/// Where a blob lives: the first vnode at or after its position on the ring, then the next
/// vnodes clockwise, skipping nodes already chosen, until `replication` distinct nodes.
public enum Placement {
    /// The ring position of a content address: its SHA-256, first 8 bytes, big-endian.
    public static func position(of address: [UInt8]) -> UInt64 {
        Hash256.of(address).bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The nodes that hold `address`, primary first. `ring` must be sorted by token.
    public static func replicas(of address: [UInt8], ring: [(token: UInt64, node: NodeKey)], replication: Int) -> [NodeKey] {
        guard !ring.isEmpty, replication > 0 else { return [] }
        let position = position(of: address)
        let start = ring.firstIndex { $0.token >= position } ?? 0
        var chosen: [NodeKey] = []
        for step in 0..<ring.count where chosen.count < replication {
            let node = ring[(start + step) % ring.count].node
            if !chosen.contains(node) { chosen.append(node) }
        }
        return chosen
    }
}
