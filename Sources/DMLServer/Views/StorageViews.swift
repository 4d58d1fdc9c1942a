import DMLCore
import DMLLedger
import Foundation
import Hummingbird

/// `POST /v1/storage/clusters`: the caller becomes the manager.
struct CreateClusterBody: Decodable {
    /// The most replicas a bucket in the cluster may ask for (at least 1).
    let replicationMax: UInt8
    let description: String?
    /// Resource units each vnode reserves from its node.
    let resourcePerVNode: UInt32
}

/// `POST /v1/storage/buckets`: a bucket in `cluster`, owned by `owner` (by default the caller).
struct CreateBucketBody: Decodable {
    let cluster: UInt64
    /// How many nodes hold each blob (default 1; at most the cluster's maximum).
    let replication: UInt8?
    let description: String?
    let owner: String?
}

/// `POST /v1/storage/buckets/:id/allocate`: resource units (1 MiB per node each) added to the bucket.
struct AllocateBody: Decodable { let resource: UInt32 }

/// The JSON names of the storage module's enums.
enum StorageNames {
    static func status(_ text: String) throws(APIError) -> NodeStatus {
        switch text {
        case "adding": .adding
        case "active": .active
        case "deleting": .deleting
        case "offline": .offline
        default: throw .badRequest("request.bad_query", "status must be adding, active, deleting or offline", field: "status")
        }
    }

    static func engine(_ engine: NodeParams.Engine) -> String {
        switch engine {
        case .unknown: "unknown"
        case .storage: "storage"
        case .cdn: "cdn"
        }
    }

    /// A time in milliseconds, or `nil` for "never" (`UInt64.max`).
    static func time(_ milliseconds: UInt64) -> UInt64? { milliseconds == .max ? nil : milliseconds }
}

/// A storage node, named by its key's address.
struct StorageNodeView: Codable, Sendable {
    struct Params: Codable, Sendable {
        /// `unknown`, `storage` or `cdn`.
        let engine: String
        let engineVersion: String
        let url: String
        let description: String
    }

    let key: String
    let provider: String
    let capacity: UInt32
    let freeResource: UInt32
    /// USD units per vnode per month.
    let rentPerVNodePerMonth: String
    let params: Params
    let cluster: UInt64?
    /// `adding`, `active`, `deleting` or `offline`, in its cluster.
    let status: String?
    /// Details only: the node's ring tokens in its cluster, ascending.
    let vnodes: [String]?
    /// Details only: usage payments earned in its cluster and not yet distributed (base units).
    let earnings: String?

    init(key: NodeKey, node: StorageNode, detail: Bool, in state: CallContext) {
        self.key = key.address
        provider = node.provider.address
        capacity = node.capacity
        freeResource = node.freeResource
        rentPerVNodePerMonth = String(node.rentPerVNodePerMonth)
        params = Params(engine: StorageNames.engine(node.params.engine), engineVersion: node.params.engineVersion,
                        url: node.params.url, description: node.params.description)
        cluster = node.cluster?.rawValue
        status = node.status?.description
        if detail, let cluster = node.cluster {
            vnodes = Storage.vnodes(of: key, in: cluster, context: state).map { String($0) }
            earnings = String(Storage.earnings(of: key, in: cluster, context: state).baseUnits)
        } else {
            vnodes = detail ? [] : nil
            earnings = detail ? "0" : nil
        }
    }
}

/// A cluster; with details, its member nodes and how its ring divides the key space.
struct StorageClusterView: Codable, Sendable {
    struct Ring: Codable, Sendable {
        struct Member: Codable, Sendable {
            let node: String
            let vnodes: Int
            /// The fraction (0–1) of ring positions whose blobs this node holds first.
            let share: Double
        }

        let vnodes: Int
        let members: [Member]
    }

    let id: UInt64
    let manager: String
    let replicationMax: UInt8
    let description: String
    let nodeCount: Int
    let vnodeCount: UInt32
    let resourcePerVNode: UInt32
    /// Resource units its vnodes hold in all, and those allocated to buckets.
    let capacity: UInt64
    let resourceUsed: UInt64
    /// USD units per month per unit of resource: the sum of its vnodes' rents.
    let totalRent: String
    /// Settled rent not yet distributed (base units).
    let revenues: String
    /// USD units per GB served.
    let usageRatePerGB: String
    let nodes: [StorageNodeView]?
    let ring: Ring?

    init?(id: Identifier<StorageCluster>, detail: Bool, in state: CallContext) {
        guard let cluster = Storage.cluster(id, in: state) else { return nil }
        self.init(id: id, cluster: cluster, detail: detail, in: state)
    }

    init(id: Identifier<StorageCluster>, cluster: StorageCluster, detail: Bool, in state: CallContext) {
        self.id = id.rawValue
        manager = cluster.manager.address
        replicationMax = cluster.params.replicationMax
        description = cluster.params.description
        nodeCount = cluster.nodes.count
        vnodeCount = cluster.vnodeCount
        resourcePerVNode = cluster.resourcePerVNode
        capacity = cluster.capacity
        resourceUsed = cluster.resourceUsed
        totalRent = String(cluster.totalRent)
        revenues = String(cluster.revenues.baseUnits)
        usageRatePerGB = String(cluster.usageRatePerGB)
        guard detail else {
            nodes = nil
            ring = nil
            return
        }
        nodes = cluster.nodes.compactMap { key in Storage.node(key, in: state).map { StorageNodeView(key: key, node: $0, detail: true, in: state) } }
        ring = StorageClusterView.summary(Storage.ring(of: id, in: state), members: cluster.nodes)
    }

    /// Each vnode holds first the positions after the previous token up to its own (`Placement`),
    /// the first vnode also those after the last token: its arc, with wrapping arithmetic.
    static func summary(_ ring: [(token: UInt64, node: NodeKey)], members: [NodeKey]) -> Ring {
        var arcs: [NodeKey: Double] = [:]
        var counts: [NodeKey: Int] = [:]
        var previous = ring.last?.token ?? 0
        for entry in ring {
            let arc = ring.count == 1 ? 18_446_744_073_709_551_616.0 : Double(entry.token &- previous)
            arcs[entry.node, default: 0] += arc
            counts[entry.node, default: 0] += 1
            previous = entry.token
        }
        let whole = 18_446_744_073_709_551_616.0 // 2⁶⁴
        return Ring(vnodes: ring.count, members: members.map { node in
            Ring.Member(node: node.address, vnodes: counts[node] ?? 0, share: min(1, (arcs[node] ?? 0) / whole))
        })
    }
}

/// A bucket, its rent and (for those who may read it) who may read and write it.
struct StorageBucketView: Codable, Sendable {
    let id: UInt64
    let owner: String
    let cluster: UInt64
    let replication: UInt8
    let description: String
    /// Resource units allocated (each lets a node hold 1 MiB for the bucket).
    let resourceReserved: UInt32
    let isPublic: Bool
    /// USD units per month the owner pays for it.
    let rentPerMonth: String
    /// Until when the owner's deposit covers the rent (ms); absent when it never runs out.
    let rentCoveredUntil: UInt64?
    /// Details only, and only for the owner, its writers and readers, the cluster's manager, or
    /// anyone when the bucket is public.
    let readers: [String]?
    let writers: [String]?

    init?(id: Identifier<StorageBucket>, viewer: AccountID?, detail: Bool, in state: CallContext) {
        guard let bucket = Storage.bucket(id, in: state) else { return nil }
        self.init(id: id, bucket: bucket, viewer: viewer, detail: detail, in: state)
    }

    init(id: Identifier<StorageBucket>, bucket: StorageBucket, viewer: AccountID?, detail: Bool, in state: CallContext) {
        self.id = id.rawValue
        owner = bucket.owner.address
        cluster = bucket.cluster.rawValue
        replication = bucket.params.replication
        description = bucket.params.description
        resourceReserved = bucket.resourceReserved
        isPublic = bucket.isPublic
        rentPerMonth = String(bucket.flow.rate)
        rentCoveredUntil = StorageNames.time(Storage.rentCoveredUntil(id, in: state) ?? .max)
        let manager = Storage.cluster(bucket.cluster, in: state)?.manager
        let shown = detail && (bucket.mayRead(viewer) || (viewer != nil && viewer == manager))
        readers = shown ? bucket.readers.map(\.address) : nil
        writers = shown ? bucket.writers.map(\.address) : nil
    }
}

/// An account's money in the storage network (all of it held by the module's escrow).
struct StorageAccountView: Codable, Sendable {
    let address: String
    /// Pays rent; `withdrawable` is what accrued rent has not claimed, `locked` what it has.
    let deposit: String
    let withdrawable: String
    let locked: String
    /// Pays for usage (bytes served).
    let bonded: String
    let unbonding: String
    /// When the unbonding amount returns to the deposit (ms); absent when nothing is unbonding.
    let unbondingUnlocksAt: UInt64?
    /// USD units per month of rent over all the account's buckets.
    let rentPerMonth: String
    /// Until when the deposit covers that rent (ms); absent when it never runs out.
    let rentCoveredUntil: UInt64?

    init?(account: AccountID, in state: CallContext) {
        guard let status = Storage.status(of: account, in: state) else { return nil }
        let record = status.account
        address = account.address
        deposit = String(record.deposit.baseUnits)
        withdrawable = String(status.withdrawable.baseUnits)
        locked = String(status.locked.baseUnits)
        bonded = String(record.bonded.baseUnits)
        unbonding = String(record.unbonding.baseUnits)
        unbondingUnlocksAt = record.unbonding.isZero ? nil : record.unbondingUnlocksAt
        rentPerMonth = String(record.payable.rate)
        rentCoveredUntil = StorageNames.time(status.rentCoveredUntil)
    }
}
