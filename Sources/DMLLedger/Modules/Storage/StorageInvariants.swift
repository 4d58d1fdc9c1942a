import DMLCore

/// The Storage module's invariants, checked after every block in tests and simulations.
enum StorageInvariants {
    static func violations(in context: CallContext) -> [String] {
        money(context) + nodesAndClusters(context) + bucketsAndAccounts(context)
    }

    /// The escrow holds exactly what the records say the module owes.
    static func money(_ context: CallContext) -> [String] {
        var owed: UInt128 = UInt128(Storage.protocolRevenue(in: context).baseUnits)
        for (_, account) in context.entries(Storage.accounts) {
            owed += UInt128(account.deposit.baseUnits) + UInt128(account.bonded.baseUnits) + UInt128(account.unbonding.baseUnits)
        }
        for (_, cluster) in context.entries(Storage.clusters) { owed += UInt128(cluster.revenues.baseUnits) }
        for (_, earned) in context.entries(Storage.earnings) { owed += UInt128(earned.baseUnits) }
        var problems: [String] = []
        let held = Balances.escrowBalance(Storage.escrow, in: context)
        if UInt128(held.baseUnits) != owed { problems.append("storage escrow holds \(held), records owe \(owed) base units") }
        for (escrow, amount) in Balances.escrows(of: .storage, in: context) where escrow != Storage.escrow {
            problems.append("\(escrow) holds \(amount) outside the storage escrow")
        }
        return problems
    }

    /// Resources, rent, the ring and membership agree.
    static func nodesAndClusters(_ context: CallContext) -> [String] {
        var problems: [String] = []
        let clusters = Dictionary(uniqueKeysWithValues: context.entries(Storage.clusters))
        for (key, node) in context.entries(Storage.nodes) {
            guard let id = node.cluster else {
                if node.freeResource != node.capacity || node.status != nil { problems.append("node \(key) is in no cluster but reserves resource or has a status") }
                continue
            }
            guard let cluster = clusters[id], cluster.nodes.contains(key) else { problems.append("node \(key) names cluster \(id), which does not list it"); continue }
            let reserved = UInt64(Storage.vnodes(of: key, in: id, context: context).count) * UInt64(cluster.resourcePerVNode)
            if UInt64(node.freeResource) + reserved != UInt64(node.capacity) { problems.append("node \(key): free + reserved ≠ capacity") }
        }
        for (id, cluster) in clusters {
            var vnodes = 0
            var rent: UInt64 = 0
            for key in cluster.nodes {
                let tokens = Storage.vnodes(of: key, in: id, context: context)
                if tokens.isEmpty { problems.append("cluster \(id) lists node \(key) without vnodes") }
                if Storage.node(key, in: context)?.cluster != id { problems.append("cluster \(id) lists node \(key), which is elsewhere") }
                vnodes += tokens.count
                rent += UInt64(tokens.count) * (Storage.node(key, in: context)?.rentPerVNodePerMonth ?? 0)
                for token in tokens where context.get(Storage.ring, Pair(id, token)) != key {
                    problems.append("cluster \(id)'s ring does not give token \(token) to node \(key)")
                }
            }
            if vnodes != Int(cluster.vnodeCount) { problems.append("cluster \(id) counts \(cluster.vnodeCount) vnodes, has \(vnodes)") }
            if rent != cluster.totalRent { problems.append("cluster \(id) records total rent \(cluster.totalRent), its vnodes add to \(rent)") }
            if cluster.resourceUsed > cluster.capacity { problems.append("cluster \(id) allocates more than its vnodes hold") }
            if Set(cluster.nodes).count != cluster.nodes.count { problems.append("cluster \(id) lists a node twice") }
        }
        let ringEntries = context.entries(Storage.ring)
        if ringEntries.count != clusters.values.reduce(0, { $0 + Int($1.vnodeCount) }) { problems.append("the ring has entries no cluster counts") }
        for (pair, _) in context.entries(Storage.earnings) where Storage.node(pair.second, in: context)?.cluster != pair.first {
            problems.append("node \(pair.second) has earnings in cluster \(pair.first) it is not in")
        }
        return problems
    }

    /// Allocations add up per cluster; each account pays exactly its buckets' flows.
    static func bucketsAndAccounts(_ context: CallContext) -> [String] {
        var problems: [String] = []
        var used: [Identifier<StorageCluster>: UInt64] = [:]
        var payable: [AccountID: Schedule] = [:]
        for (id, bucket) in context.entries(Storage.buckets) {
            used[bucket.cluster, default: 0] += UInt64(bucket.resourceReserved)
            guard let sum = payable[bucket.owner, default: .empty].adding(bucket.flow) else { problems.append("bucket \(id)'s rent overflows"); continue }
            payable[bucket.owner] = sum
            if bucket.resourceReserved > 0, Storage.account(bucket.owner, in: context) == nil { problems.append("bucket \(id)'s owner has no account") }
        }
        for (id, cluster) in context.entries(Storage.clusters) where used[id, default: 0] != cluster.resourceUsed {
            problems.append("cluster \(id) records \(cluster.resourceUsed) allocated, its buckets hold \(used[id, default: 0])")
        }
        for (id, account) in context.entries(Storage.accounts) where account.payable != payable[id, default: .empty] {
            problems.append("account \(id)'s payable schedule is not the sum of its buckets' flows")
        }
        return problems
    }
}
