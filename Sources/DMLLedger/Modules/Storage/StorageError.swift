import DMLCore

/// Why the Storage module refused a call. Codes are `storage.snake_case`, never renamed.
public enum StorageError: RejectionReason {
    case paramsTooBig(bytes: Int, max: Int)
    case invalidParams(String)
    case nodeExists(NodeKey)
    case unknownNode(NodeKey)
    case notProvider(NodeKey, account: AccountID)
    case nodeInCluster(NodeKey, cluster: Identifier<StorageCluster>)
    case nodeNotInCluster(NodeKey, cluster: Identifier<StorageCluster>)
    case unknownCluster(Identifier<StorageCluster>)
    case notManager(Identifier<StorageCluster>, account: AccountID)
    case notManagerOrProvider(Identifier<StorageCluster>, account: AccountID)
    case managerNotTrusted(manager: AccountID, provider: AccountID)
    case noVNodes
    case duplicateVNode(UInt64)
    case vnodeTaken(Identifier<StorageCluster>, token: UInt64, node: NodeKey)
    case unknownVNode(Identifier<StorageCluster>, token: UInt64)
    case tooManyNodes(Identifier<StorageCluster>, max: Int)
    case tooManyVNodes(Identifier<StorageCluster>, count: Int, max: Int)
    case nodeWouldHaveNoVNodes(NodeKey)
    case insufficientNodeResource(NodeKey, needed: UInt64, free: UInt32)
    case insufficientClusterResource(Identifier<StorageCluster>, needed: UInt64, capacity: UInt64)
    case clusterNotEmpty(Identifier<StorageCluster>, nodes: Int, resourceUsed: UInt64)
    case unknownBucket(Identifier<StorageBucket>)
    case notOwner(Identifier<StorageBucket>, account: AccountID)
    case notOwnerOrManager(Identifier<StorageBucket>, account: AccountID)
    case replicationOutOfRange(requested: UInt8, max: UInt8)
    case accessListFull(Identifier<StorageBucket>, max: Int)
    case alreadyGranted(Identifier<StorageBucket>, StorageBucket.Access, AccountID)
    case notGranted(Identifier<StorageBucket>, StorageBucket.Access, AccountID)
    case sameOwner(Identifier<StorageBucket>)
    case rentNotCovered(Identifier<StorageBucket>, owner: AccountID)
    case zeroAmount
    case zeroResource
    case unknownAccount(AccountID)
    case insufficientWithdrawable(AccountID, needed: Amount, withdrawable: Amount)
    case insufficientBonded(AccountID, needed: Amount, bonded: Amount)
    case nothingUnbonding(AccountID)
    case unbondingNotFinished(AccountID, unlocksAt: UInt64, now: UInt64)
    case notNodeOfBucketCluster(Identifier<StorageBucket>, node: AccountID)
    case usageCounterWentBack(Identifier<StorageBucket>, node: NodeKey, reported: UInt64, last: UInt64)
    case notRatePermitted(AccountID)
    case notSuperAdmin(AccountID)
    case feeTooHigh(basisPoints: UInt16)
    case feeWithoutDestination
    case insufficientProtocolRevenue(needed: Amount, held: Amount)
    case arithmeticOverflow(String)
    case idsExhausted
    case balances(BalancesError)

    public var code: String {
        switch self {
        case .paramsTooBig: "storage.params_too_big"
        case .invalidParams: "storage.invalid_params"
        case .nodeExists: "storage.node_exists"
        case .unknownNode: "storage.unknown_node"
        case .notProvider: "storage.not_provider"
        case .nodeInCluster: "storage.node_in_cluster"
        case .nodeNotInCluster: "storage.node_not_in_cluster"
        case .unknownCluster: "storage.unknown_cluster"
        case .notManager: "storage.not_manager"
        case .notManagerOrProvider: "storage.not_manager_or_provider"
        case .managerNotTrusted: "storage.manager_not_trusted"
        case .noVNodes: "storage.no_vnodes"
        case .duplicateVNode: "storage.duplicate_vnode"
        case .vnodeTaken: "storage.vnode_taken"
        case .unknownVNode: "storage.unknown_vnode"
        case .tooManyNodes: "storage.too_many_nodes"
        case .tooManyVNodes: "storage.too_many_vnodes"
        case .nodeWouldHaveNoVNodes: "storage.node_would_have_no_vnodes"
        case .insufficientNodeResource: "storage.insufficient_node_resource"
        case .insufficientClusterResource: "storage.insufficient_cluster_resource"
        case .clusterNotEmpty: "storage.cluster_not_empty"
        case .unknownBucket: "storage.unknown_bucket"
        case .notOwner: "storage.not_owner"
        case .notOwnerOrManager: "storage.not_owner_or_manager"
        case .replicationOutOfRange: "storage.replication_out_of_range"
        case .accessListFull: "storage.access_list_full"
        case .alreadyGranted: "storage.already_granted"
        case .notGranted: "storage.not_granted"
        case .sameOwner: "storage.same_owner"
        case .rentNotCovered: "storage.rent_not_covered"
        case .zeroAmount: "storage.zero_amount"
        case .zeroResource: "storage.zero_resource"
        case .unknownAccount: "storage.unknown_account"
        case .insufficientWithdrawable: "storage.insufficient_withdrawable"
        case .insufficientBonded: "storage.insufficient_bonded"
        case .nothingUnbonding: "storage.nothing_unbonding"
        case .unbondingNotFinished: "storage.unbonding_not_finished"
        case .notNodeOfBucketCluster: "storage.not_node_of_bucket_cluster"
        case .usageCounterWentBack: "storage.usage_counter_went_back"
        case .notRatePermitted: "storage.not_rate_permitted"
        case .notSuperAdmin: "storage.not_super_admin"
        case .feeTooHigh: "storage.fee_too_high"
        case .feeWithoutDestination: "storage.fee_without_destination"
        case .insufficientProtocolRevenue: "storage.insufficient_protocol_revenue"
        case .arithmeticOverflow: "storage.arithmetic_overflow"
        case .idsExhausted: "storage.ids_exhausted"
        case .balances(let error): error.code
        }
    }

    public var description: String {
        switch self {
        case let .paramsTooBig(bytes, max): "params are \(bytes) bytes, at most \(max) allowed"
        case .invalidParams(let reason): "invalid params: \(reason)"
        case .nodeExists(let key): "node \(key) is already registered"
        case .unknownNode(let key): "there is no node \(key)"
        case let .notProvider(key, account): "\(account) is not the provider of node \(key)"
        case let .nodeInCluster(key, cluster): "node \(key) serves in cluster \(cluster); remove it from the cluster first"
        case let .nodeNotInCluster(key, cluster): "node \(key) is not in cluster \(cluster)"
        case .unknownCluster(let id): "there is no cluster \(id)"
        case let .notManager(id, account): "\(account) is not the manager of cluster \(id)"
        case let .notManagerOrProvider(id, account): "\(account) is neither the manager of cluster \(id) nor the node's provider"
        case let .managerNotTrusted(manager, provider):
            "provider \(provider) has not granted cluster-manager-trusted-by(\(provider)) to \(manager)"
        case .noVNodes: "a node needs at least one vnode"
        case .duplicateVNode(let token): "vnode token \(token) is listed twice"
        case let .vnodeTaken(id, token, node): "vnode token \(token) of cluster \(id) already belongs to node \(node)"
        case let .unknownVNode(id, token): "cluster \(id) has no vnode token \(token)"
        case let .tooManyNodes(id, max): "cluster \(id) already has \(max) nodes"
        case let .tooManyVNodes(id, count, max): "cluster \(id) would have \(count) vnodes, at most \(max) allowed"
        case .nodeWouldHaveNoVNodes(let key): "node \(key) would be left without vnodes; remove it from the cluster instead"
        case let .insufficientNodeResource(key, needed, free): "node \(key) has \(free) resource free, \(needed) needed"
        case let .insufficientClusterResource(id, needed, capacity): "cluster \(id) would need \(needed) resource, its vnodes hold \(capacity)"
        case let .clusterNotEmpty(id, nodes, used): "cluster \(id) still has \(nodes) nodes and \(used) resource allocated to buckets"
        case .unknownBucket(let id): "there is no bucket \(id)"
        case let .notOwner(id, account): "\(account) is not the owner of bucket \(id)"
        case let .notOwnerOrManager(id, account): "\(account) is neither the owner of bucket \(id) nor its cluster's manager"
        case let .replicationOutOfRange(requested, max): "replication \(requested) must be between 1 and the cluster's maximum \(max)"
        case let .accessListFull(id, max): "bucket \(id) already lists \(max) accounts with that access"
        case let .alreadyGranted(id, access, account): "\(account) is already a \(access) of bucket \(id)"
        case let .notGranted(id, access, account): "\(account) is not a \(access) of bucket \(id)"
        case .sameOwner(let id): "that account already owns bucket \(id)"
        case let .rentNotCovered(id, owner): "\(owner)'s deposit does not cover the rent due on bucket \(id); deposit more first"
        case .zeroAmount: "the amount must be more than zero"
        case .zeroResource: "the resource must be more than zero"
        case .unknownAccount(let account): "\(account) has no storage account; deposit first"
        case let .insufficientWithdrawable(account, needed, withdrawable):
            "\(account) can take \(withdrawable) out of its deposit (the rest pays accrued rent), \(needed) asked"
        case let .insufficientBonded(account, needed, bonded): "\(account) has \(bonded) bonded, \(needed) asked"
        case .nothingUnbonding(let account): "\(account) has nothing unbonding"
        case let .unbondingNotFinished(account, unlocksAt, now): "\(account)'s unbonding unlocks at \(unlocksAt) ms (now \(now) ms)"
        case let .notNodeOfBucketCluster(id, node): "\(node) is not a node of bucket \(id)'s cluster"
        case let .usageCounterWentBack(id, node, reported, last):
            "node \(node) reported \(reported) bytes served for bucket \(id), less than its last report \(last)"
        case .notRatePermitted(let account): "\(account) may not set the exchange rate (needs set-exchange-rate)"
        case .notSuperAdmin(let account): "\(account) is not a super-admin"
        case .feeTooHigh(let basisPoints): "a fee of \(basisPoints) basis points is more than 10 000 (100%)"
        case .feeWithoutDestination: "a fee above zero needs a destination account"
        case let .insufficientProtocolRevenue(needed, held): "the protocol holds \(held), \(needed) asked"
        case .arithmeticOverflow(let what): "\(what) would exceed the largest value"
        case .idsExhausted: "no identifiers are left"
        case .balances(let error): error.description
        }
    }
}
