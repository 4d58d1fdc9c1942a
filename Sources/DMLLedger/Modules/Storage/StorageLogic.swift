import DMLCore

/// Storage version 1. Nodes and clusters here; buckets in `StorageBuckets.swift`; money in
/// `StorageBilling.swift`; invariants in `StorageInvariants.swift`.
public struct StorageV1: ModuleLogic {
    public var module: ModuleID { .storage }
    public var version: UInt32 { 1 }
    public init() {}

    public func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        let call = try decode(StorageCall.self, body)
        do {
            switch call {
            case let .createNode(key, capacity, rent, params): try createNode(key, capacity, rent, params, by: origin, context: &context)
            case let .setNodeParams(key, params): try setNodeParams(key, params, by: origin, context: &context)
            case .removeNode(let key): try removeNode(key, by: origin, context: &context)
            case let .createCluster(params, resource): try createCluster(params, resource, by: origin, context: &context)
            case let .addNode(id, node, vnodes): try addNode(id, node, vnodes, by: origin, context: &context)
            case let .removeNodeFromCluster(id, node): try removeNodeFromCluster(id, node, by: origin, context: &context)
            case let .replaceNode(id, vnodes, node): try replaceNode(id, vnodes, with: node, by: origin, context: &context)
            case let .resetNode(id, node, vnodes): try resetNode(id, node, vnodes, by: origin, context: &context)
            case let .setNodeStatus(id, node, status): try setNodeStatus(id, node, status, by: origin, context: &context)
            case let .setClusterParams(id, params): try setClusterParams(id, params, by: origin, context: &context)
            case let .setResourcePerVNode(id, resource): try setResourcePerVNode(id, resource, by: origin, context: &context)
            case .removeCluster(let id): try removeCluster(id, by: origin, context: &context)
            case let .setUsageRate(id, rate): try setUsageRate(id, rate, by: origin, context: &context)
            case let .createBucket(id, params, owner): try createBucket(in: id, params, owner: owner ?? origin, context: &context)
            case let .allocate(id, resource): try allocate(id, resource, by: origin, context: &context)
            case let .setBucketParams(id, params): try setBucketParams(id, params, by: origin, context: &context)
            case let .changeBucketOwner(id, owner): try changeBucketOwner(id, to: owner, by: origin, context: &context)
            case let .setBucketAvailability(id, isPublic): try setBucketAvailability(id, isPublic, by: origin, context: &context)
            case let .grantBucketAccess(id, access, account): try grant(access, on: id, to: account, by: origin, context: &context)
            case let .revokeBucketAccess(id, access, account): try revoke(access, on: id, from: account, by: origin, context: &context)
            case .settleBucket(let id): try settleBucket(id, context: &context)
            case .distributeRevenues(let id): try distributeRevenues(id, context: &context)
            case .deposit(let amount): try deposit(amount, by: origin, context: &context)
            case .bond(let amount): try bond(amount, by: origin, context: &context)
            case .unbond(let amount): try unbond(amount, by: origin, context: &context)
            case .withdrawUnbonded: try withdrawUnbonded(by: origin, context: &context)
            case .withdraw(let amount): try withdraw(amount, by: origin, context: &context)
            case let .reportUsage(id, served, stored): try reportUsage(id, servedTotal: served, stored: stored, node: origin, context: &context)
            case .setExchangeRate(let rate): try setExchangeRate(rate, by: origin, context: &context)
            case .setFees(let fees): try setFees(fees, by: origin, context: &context)
            case .withdrawProtocolRevenue(let amount): try withdrawProtocolRevenue(amount, by: origin, context: &context)
            }
        } catch {
            throw .storage(error)
        }
    }

    public func invariantViolations(in context: CallContext) -> [String] { StorageInvariants.violations(in: context) }

    // MARK: - Nodes

    /// Registers a node under its public key; the caller becomes its provider.
    /// - Throws: `.paramsTooBig`, `.nodeExists`. Emits `.nodeCreated`.
    func createNode(_ key: NodeKey, _ capacity: UInt32, _ rent: UInt64, _ params: NodeParams, by provider: AccountID,
                    context: inout CallContext) throws(StorageError) {
        try checkSize(params)
        guard Storage.node(key, in: context) == nil else { throw .nodeExists(key) }
        context.set(Storage.nodes, key, StorageNode(provider: provider, capacity: capacity, rentPerVNodePerMonth: rent, params: params))
        context.emit(StorageEvent.nodeCreated(key, provider: provider, capacity: capacity, rentPerVNodePerMonth: rent))
    }

    /// - Throws: `.paramsTooBig`, `.unknownNode`, `.notProvider`. Emits `.nodeParamsSet`.
    func setNodeParams(_ key: NodeKey, _ params: NodeParams, by actor: AccountID, context: inout CallContext) throws(StorageError) {
        try checkSize(params)
        var node = try ownNode(key, actor, context)
        node.params = params
        context.set(Storage.nodes, key, node)
        context.emit(StorageEvent.nodeParamsSet(key))
    }

    /// - Throws: `.unknownNode`, `.notProvider`, `.nodeInCluster`. Emits `.nodeRemoved`.
    func removeNode(_ key: NodeKey, by actor: AccountID, context: inout CallContext) throws(StorageError) {
        let node = try ownNode(key, actor, context)
        if let cluster = node.cluster { throw .nodeInCluster(key, cluster: cluster) }
        context.set(Storage.nodes, key, nil)
        context.emit(StorageEvent.nodeRemoved(key))
    }

    // MARK: - Clusters

    /// Creates an empty cluster managed by the caller.
    /// - Throws: `.paramsTooBig`, `.invalidParams` (replication maximum 0), `.idsExhausted`.
    ///   Emits `.clusterCreated`.
    func createCluster(_ params: ClusterParams, _ resourcePerVNode: UInt32, by manager: AccountID,
                       context: inout CallContext) throws(StorageError) {
        try checkSize(params)
        guard params.replicationMax > 0 else { throw .invalidParams("a cluster's replication maximum must be at least 1") }
        let id = context.get(Storage.nextCluster, Unit()) ?? Identifier(1)
        guard let next = id.next else { throw .idsExhausted }
        context.set(Storage.nextCluster, Unit(), next)
        context.set(Storage.clusters, id, StorageCluster(manager: manager, params: params, resourcePerVNode: resourcePerVNode))
        context.emit(StorageEvent.clusterCreated(id, manager: manager, resourcePerVNode: resourcePerVNode))
    }

    /// Adds a node with its ring tokens; each vnode reserves the cluster's resource per vnode from
    /// the node and adds the node's rent to the cluster's total.
    /// - Throws (in order): `.unknownCluster`, `.notManager`, `.unknownNode`, `.managerNotTrusted`,
    ///   `.nodeInCluster`, `.noVNodes`, `.duplicateVNode`, `.tooManyNodes`, `.tooManyVNodes`,
    ///   `.vnodeTaken`, `.insufficientNodeResource`, `.arithmeticOverflow`. Emits `.nodeAdded`.
    func addNode(_ id: Identifier<StorageCluster>, _ key: NodeKey, _ tokens: [UInt64], by actor: AccountID,
                 context: inout CallContext) throws(StorageError) {
        var cluster = try managed(id, actor, context)
        var node = try existingNode(key, context)
        try requireTrust(manager: actor, of: node, context)
        if let current = node.cluster { throw .nodeInCluster(key, cluster: current) }
        let tokens = try distinctTokens(tokens)
        guard cluster.nodes.count < Storage.clusterNodesMax else { throw .tooManyNodes(id, max: Storage.clusterNodesMax) }
        try checkVNodeCount(id, Int(cluster.vnodeCount) + tokens.count)
        for token in tokens {
            if let holder = context.get(Storage.ring, Pair(id, token)) { throw .vnodeTaken(id, token: token, node: holder) }
        }
        try reserve(tokens.count, of: cluster.resourcePerVNode, from: &node, key)
        cluster.totalRent = try rentAdding(tokens.count, of: node, to: cluster.totalRent)
        cluster.vnodeCount += UInt32(tokens.count)
        cluster.nodes.append(key)
        node.cluster = id
        node.status = .adding
        context.set(Storage.clusters, id, cluster)
        context.set(Storage.nodes, key, node)
        setTokens(tokens, of: key, in: id, context: &context)
        context.emit(StorageEvent.nodeAdded(id, node: key, vnodes: tokens))
    }

    /// Takes a node out of its cluster: its vnodes leave the ring, its resource and rent are
    /// released, and its unpaid usage earnings go to its provider.
    /// - Throws: `.unknownCluster`, `.unknownNode`, `.nodeNotInCluster`, `.notManagerOrProvider`,
    ///   `.insufficientClusterResource` (the buckets would no longer fit). Emits
    ///   `.nodeRemovedFromCluster`, and `.providerPaid` for earnings.
    func removeNodeFromCluster(_ id: Identifier<StorageCluster>, _ key: NodeKey, by actor: AccountID,
                               context: inout CallContext) throws(StorageError) {
        var cluster = try existingCluster(id, context)
        var node = try member(key, of: id, context)
        guard actor == cluster.manager || actor == node.provider else { throw .notManagerOrProvider(id, account: actor) }
        let tokens = Storage.vnodes(of: key, in: id, context: context)
        let remaining = UInt64(cluster.vnodeCount) - UInt64(tokens.count)
        try requireFits(id, cluster.resourceUsed, vnodes: remaining, resourcePerVNode: cluster.resourcePerVNode)
        let earnings = Storage.earnings(of: key, in: id, context: context)
        if !earnings.isZero { try payOut(earnings, to: node.provider, context: &context) }
        node.freeResource += UInt32(tokens.count) * cluster.resourcePerVNode
        cluster.totalRent -= UInt64(tokens.count) * node.rentPerVNodePerMonth
        cluster.vnodeCount = UInt32(remaining)
        cluster.nodes.removeAll { $0 == key }
        node.cluster = nil
        node.status = nil
        context.set(Storage.clusters, id, cluster)
        context.set(Storage.nodes, key, node)
        context.set(Storage.earnings, Pair(id, key), nil)
        setTokens([], of: key, in: id, context: &context)
        context.emit(StorageEvent.nodeRemovedFromCluster(id, node: key))
        if !earnings.isZero {
            context.emit(StorageEvent.providerPaid(id, node: key, provider: node.provider, rent: .zero, usage: earnings))
        }
    }

    /// Moves vnodes (ring tokens) to `newKey`, which joins the cluster if it is not in it yet;
    /// resource and rent move with each vnode. Every node that gives vnodes must keep one.
    /// - Throws: `.unknownCluster`, `.notManager`, `.noVNodes`, `.duplicateVNode`, `.unknownVNode`,
    ///   `.vnodeTaken` (already the new node's), `.unknownNode`, `.nodeInCluster` (another cluster),
    ///   `.managerNotTrusted`, `.tooManyNodes`, `.nodeWouldHaveNoVNodes`,
    ///   `.insufficientNodeResource`, `.arithmeticOverflow`. Emits `.vnodesMoved`.
    func replaceNode(_ id: Identifier<StorageCluster>, _ tokens: [UInt64], with newKey: NodeKey, by actor: AccountID,
                     context: inout CallContext) throws(StorageError) {
        var cluster = try managed(id, actor, context)
        let tokens = try distinctTokens(tokens)
        var losing: [NodeKey: [UInt64]] = [:]
        for token in tokens {
            guard let holder = context.get(Storage.ring, Pair(id, token)) else { throw .unknownVNode(id, token: token) }
            guard holder != newKey else { throw .vnodeTaken(id, token: token, node: holder) }
            losing[holder, default: []].append(token)
        }
        var newNode = try existingNode(newKey, context)
        let joining = newNode.cluster == nil
        if let current = newNode.cluster, current != id { throw .nodeInCluster(newKey, cluster: current) }
        if joining {
            try requireTrust(manager: actor, of: newNode, context)
            guard cluster.nodes.count < Storage.clusterNodesMax else { throw .tooManyNodes(id, max: Storage.clusterNodesMax) }
        }
        for (holder, moved) in losing where Storage.vnodes(of: holder, in: id, context: context).count == moved.count {
            throw .nodeWouldHaveNoVNodes(holder)
        }
        try reserve(tokens.count, of: cluster.resourcePerVNode, from: &newNode, newKey)
        var rent = try rentAdding(tokens.count, of: newNode, to: cluster.totalRent)
        // Commit: nothing below can fail (old nodes only give back what they reserved).
        for (holder, moved) in losing.sorted(by: { $0.key < $1.key }) {
            guard var old = Storage.node(holder, in: context) else { preconditionFailure("ring names unknown node \(holder)") }
            old.freeResource += UInt32(moved.count) * cluster.resourcePerVNode
            rent -= UInt64(moved.count) * old.rentPerVNodePerMonth
            context.set(Storage.nodes, holder, old)
            let kept = Storage.vnodes(of: holder, in: id, context: context).filter { !moved.contains($0) }
            setTokens(kept, of: holder, in: id, context: &context)
        }
        cluster.totalRent = rent
        if joining {
            cluster.nodes.append(newKey)
            newNode.cluster = id
            newNode.status = .adding
        }
        context.set(Storage.clusters, id, cluster)
        context.set(Storage.nodes, newKey, newNode)
        setTokens(Storage.vnodes(of: newKey, in: id, context: context) + tokens, of: newKey, in: id, context: &context)
        context.emit(StorageEvent.vnodesMoved(id, vnodes: tokens, to: newKey))
    }

    /// Gives a member node exactly `tokens` as its vnodes; resource and rent follow the change
    /// in count.
    /// - Throws: `.unknownCluster`, `.notManager`, `.unknownNode`, `.nodeNotInCluster`, `.noVNodes`,
    ///   `.duplicateVNode`, `.vnodeTaken`, `.tooManyVNodes`, `.insufficientClusterResource`,
    ///   `.insufficientNodeResource`, `.arithmeticOverflow`. Emits `.nodeReset`.
    func resetNode(_ id: Identifier<StorageCluster>, _ key: NodeKey, _ tokens: [UInt64], by actor: AccountID,
                   context: inout CallContext) throws(StorageError) {
        var cluster = try managed(id, actor, context)
        var node = try member(key, of: id, context)
        let tokens = try distinctTokens(tokens)
        for token in tokens {
            if let holder = context.get(Storage.ring, Pair(id, token)), holder != key { throw .vnodeTaken(id, token: token, node: holder) }
        }
        let old = Storage.vnodes(of: key, in: id, context: context).count
        let count = Int(cluster.vnodeCount) - old + tokens.count
        try checkVNodeCount(id, count)
        try requireFits(id, cluster.resourceUsed, vnodes: UInt64(count), resourcePerVNode: cluster.resourcePerVNode)
        node.freeResource += UInt32(old) * cluster.resourcePerVNode
        try reserve(tokens.count, of: cluster.resourcePerVNode, from: &node, key)
        cluster.totalRent = try rentAdding(tokens.count, of: node, to: cluster.totalRent - UInt64(old) * node.rentPerVNodePerMonth)
        cluster.vnodeCount = UInt32(count)
        context.set(Storage.clusters, id, cluster)
        context.set(Storage.nodes, key, node)
        setTokens(tokens, of: key, in: id, context: &context)
        context.emit(StorageEvent.nodeReset(id, node: key, vnodes: tokens))
    }

    /// - Throws: `.unknownCluster`, `.notManager`, `.unknownNode`, `.nodeNotInCluster`. Emits `.nodeStatusSet`.
    func setNodeStatus(_ id: Identifier<StorageCluster>, _ key: NodeKey, _ status: NodeStatus, by actor: AccountID,
                       context: inout CallContext) throws(StorageError) {
        _ = try managed(id, actor, context)
        var node = try member(key, of: id, context)
        node.status = status
        context.set(Storage.nodes, key, node)
        context.emit(StorageEvent.nodeStatusSet(id, node: key, status))
    }

    /// - Throws: `.paramsTooBig`, `.invalidParams`, `.unknownCluster`, `.notManager`. Emits `.clusterParamsSet`.
    func setClusterParams(_ id: Identifier<StorageCluster>, _ params: ClusterParams, by actor: AccountID,
                          context: inout CallContext) throws(StorageError) {
        try checkSize(params)
        guard params.replicationMax > 0 else { throw .invalidParams("a cluster's replication maximum must be at least 1") }
        var cluster = try managed(id, actor, context)
        cluster.params = params
        context.set(Storage.clusters, id, cluster)
        context.emit(StorageEvent.clusterParamsSet(id))
    }

    /// Changes what each vnode reserves; every member node releases the old amount and reserves
    /// the new one.
    /// - Throws: `.unknownCluster`, `.notManager`, `.insufficientClusterResource`,
    ///   `.insufficientNodeResource`. Emits `.resourcePerVNodeSet`.
    func setResourcePerVNode(_ id: Identifier<StorageCluster>, _ resource: UInt32, by actor: AccountID,
                             context: inout CallContext) throws(StorageError) {
        var cluster = try managed(id, actor, context)
        try requireFits(id, cluster.resourceUsed, vnodes: UInt64(cluster.vnodeCount), resourcePerVNode: resource)
        var updated: [(NodeKey, StorageNode)] = []
        for key in cluster.nodes {
            guard var node = Storage.node(key, in: context) else { preconditionFailure("cluster \(id) lists unknown node \(key)") }
            let count = Storage.vnodes(of: key, in: id, context: context).count
            node.freeResource += UInt32(count) * cluster.resourcePerVNode
            try reserve(count, of: resource, from: &node, key)
            updated.append((key, node))
        }
        cluster.resourcePerVNode = resource
        for (key, node) in updated { context.set(Storage.nodes, key, node) }
        context.set(Storage.clusters, id, cluster)
        context.emit(StorageEvent.resourcePerVNodeSet(id, resource))
    }

    /// Removes a cluster with no nodes and no allocation. Rent revenue that distribution could
    /// not share out (remainders) goes to the manager, so no token is left behind.
    /// - Throws: `.unknownCluster`, `.notManager`, `.clusterNotEmpty`. Emits `.clusterRemoved`.
    func removeCluster(_ id: Identifier<StorageCluster>, by actor: AccountID, context: inout CallContext) throws(StorageError) {
        let cluster = try managed(id, actor, context)
        guard cluster.nodes.isEmpty, cluster.resourceUsed == 0 else {
            throw .clusterNotEmpty(id, nodes: cluster.nodes.count, resourceUsed: cluster.resourceUsed)
        }
        if !cluster.revenues.isZero { try payOut(cluster.revenues, to: cluster.manager, context: &context) }
        context.set(Storage.clusters, id, nil)
        context.emit(StorageEvent.clusterRemoved(id))
    }

    /// - Throws: `.unknownCluster`, `.notManager`. Emits `.usageRateSet`.
    func setUsageRate(_ id: Identifier<StorageCluster>, _ rate: UInt64, by actor: AccountID, context: inout CallContext) throws(StorageError) {
        var cluster = try managed(id, actor, context)
        cluster.usageRatePerGB = rate
        context.set(Storage.clusters, id, cluster)
        context.emit(StorageEvent.usageRateSet(id, usdPerGB: rate))
    }
}

// MARK: - Shared checks

extension StorageV1 {
    func checkSize<Params: CanonicalEncodable>(_ params: Params) throws(StorageError) {
        let bytes = params.canonicalBytes.count
        guard bytes <= Storage.paramsBytesMax else { throw .paramsTooBig(bytes: bytes, max: Storage.paramsBytesMax) }
    }

    func existingNode(_ key: NodeKey, _ context: CallContext) throws(StorageError) -> StorageNode {
        guard let node = Storage.node(key, in: context) else { throw .unknownNode(key) }
        return node
    }

    func ownNode(_ key: NodeKey, _ actor: AccountID, _ context: CallContext) throws(StorageError) -> StorageNode {
        let node = try existingNode(key, context)
        guard node.provider == actor else { throw .notProvider(key, account: actor) }
        return node
    }

    func member(_ key: NodeKey, of id: Identifier<StorageCluster>, _ context: CallContext) throws(StorageError) -> StorageNode {
        let node = try existingNode(key, context)
        guard node.cluster == id else { throw .nodeNotInCluster(key, cluster: id) }
        return node
    }

    func existingCluster(_ id: Identifier<StorageCluster>, _ context: CallContext) throws(StorageError) -> StorageCluster {
        guard let cluster = Storage.cluster(id, in: context) else { throw .unknownCluster(id) }
        return cluster
    }

    func managed(_ id: Identifier<StorageCluster>, _ actor: AccountID, _ context: CallContext) throws(StorageError) -> StorageCluster {
        let cluster = try existingCluster(id, context)
        guard cluster.manager == actor else { throw .notManager(id, account: actor) }
        return cluster
    }

    /// A provider always trusts itself; anyone else needs the provider's grant (seed 004).
    func requireTrust(manager: AccountID, of node: StorageNode, _ context: CallContext) throws(StorageError) {
        guard manager == node.provider || Roles.has(.clusterManagerTrustedBy(provider: node.provider), manager, in: context) else {
            throw .managerNotTrusted(manager: manager, provider: node.provider)
        }
    }

    /// The tokens ascending; refuses an empty or repeating list.
    func distinctTokens(_ tokens: [UInt64]) throws(StorageError) -> [UInt64] {
        guard !tokens.isEmpty else { throw .noVNodes }
        let sorted = tokens.sorted()
        for (a, b) in zip(sorted, sorted.dropFirst()) where a == b { throw .duplicateVNode(a) }
        return sorted
    }

    func checkVNodeCount(_ id: Identifier<StorageCluster>, _ count: Int) throws(StorageError) {
        guard count <= Storage.clusterVNodesMax else { throw .tooManyVNodes(id, count: count, max: Storage.clusterVNodesMax) }
    }

    func requireFits(_ id: Identifier<StorageCluster>, _ used: UInt64, vnodes: UInt64, resourcePerVNode: UInt32) throws(StorageError) {
        let capacity = vnodes * UInt64(resourcePerVNode)
        guard used <= capacity else { throw .insufficientClusterResource(id, needed: used, capacity: capacity) }
    }

    /// Takes `count × perVNode` from the node's free resource.
    func reserve(_ count: Int, of perVNode: UInt32, from node: inout StorageNode, _ key: NodeKey) throws(StorageError) {
        let needed = UInt64(count) * UInt64(perVNode)
        guard needed <= UInt64(node.freeResource) else { throw .insufficientNodeResource(key, needed: needed, free: node.freeResource) }
        node.freeResource -= UInt32(needed)
    }

    /// `total + count × node's rent`, checked.
    func rentAdding(_ count: Int, of node: StorageNode, to total: UInt64) throws(StorageError) -> UInt64 {
        let (added, overflow) = UInt64(count).multipliedReportingOverflow(by: node.rentPerVNodePerMonth)
        let (sum, overflowSum) = total.addingReportingOverflow(added)
        guard !overflow, !overflowSum else { throw .arithmeticOverflow("the cluster's total rent") }
        return sum
    }

    /// Replaces `key`'s ring tokens in `id` with `tokens` (ascending), keeping the ring map in step.
    func setTokens(_ tokens: [UInt64], of key: NodeKey, in id: Identifier<StorageCluster>, context: inout CallContext) {
        for token in Storage.vnodes(of: key, in: id, context: context) { context.set(Storage.ring, Pair(id, token), nil) }
        for token in tokens { context.set(Storage.ring, Pair(id, token), key) }
        context.set(Storage.nodeVNodes, Pair(id, key), tokens.isEmpty ? nil : tokens.sorted())
    }
}
