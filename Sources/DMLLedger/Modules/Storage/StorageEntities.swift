import DMLCore

/// A storage node is named by its own public key: the key it signs usage reports with.
public typealias NodeKey = AccountID

/// What a node tells clients about itself (seed 004's `NodeParams`).
public struct NodeParams: Hashable, Sendable, CanonicalCodable {
    public enum Engine: UInt8, Hashable, Sendable, CanonicalByteEnum {
        case unknown = 0, storage, cdn
        public static let canonicalName = "node engine"
    }

    public var engine: Engine
    public var engineVersion: String
    /// Where the node's HTTP API listens, e.g. `http://127.0.0.1:7001`.
    public var url: String
    public var description: String

    public init(engine: Engine = .storage, engineVersion: String = "1", url: String, description: String = "") {
        self.engine = engine
        self.engineVersion = engineVersion
        self.url = url
        self.description = description
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(engine)
        writer.write(engineVersion)
        writer.write(url)
        writer.write(description)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        engine = try reader.read()
        engineVersion = try reader.readString(maxBytes: Storage.paramsBytesMax, "engine version")
        url = try reader.readString(maxBytes: Storage.paramsBytesMax, "url")
        description = try reader.readString(maxBytes: Storage.paramsBytesMax, "description")
    }
}

/// Where a node stands in its cluster (seed 004 HEAD's `NodeStatusInCluster`). Only the manager
/// sets it; clients read from `active` nodes first.
public enum NodeStatus: UInt8, Hashable, Sendable, CanonicalByteEnum, CustomStringConvertible {
    case adding = 0, active, deleting, offline
    public static let canonicalName = "node status"

    public var description: String {
        switch self {
        case .adding: "adding"
        case .active: "active"
        case .deleting: "deleting"
        case .offline: "offline"
        }
    }
}

/// A storage node registered by its provider.
public struct StorageNode: Hashable, Sendable, CanonicalCodable {
    public var provider: AccountID
    /// Resource units the node offers in all, and those not reserved by a cluster's vnodes.
    public var capacity: UInt32
    public var freeResource: UInt32
    /// USD units per vnode per month.
    public var rentPerVNodePerMonth: UInt64
    public var params: NodeParams
    /// The cluster the node serves in, and its status there.
    public var cluster: Identifier<StorageCluster>?
    public var status: NodeStatus?

    public func encode(to writer: inout ByteWriter) {
        writer.write(provider)
        writer.write(capacity)
        writer.write(freeResource)
        writer.write(rentPerVNodePerMonth)
        writer.write(params)
        writer.write(cluster)
        writer.write(status)
    }

    public init(provider: AccountID, capacity: UInt32, rentPerVNodePerMonth: UInt64, params: NodeParams) {
        self.provider = provider
        self.capacity = capacity
        freeResource = capacity
        self.rentPerVNodePerMonth = rentPerVNodePerMonth
        self.params = params
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        provider = try reader.read()
        capacity = try reader.readUInt32("capacity")
        freeResource = try reader.readUInt32("free resource")
        rentPerVNodePerMonth = try reader.readUInt64("rent")
        params = try reader.read()
        cluster = try reader.readOptional(Identifier<StorageCluster>.self, "cluster")
        status = try reader.readOptional(NodeStatus.self, "status")
    }
}

/// What a cluster tells clients (seed 004's `ClusterParams`).
public struct ClusterParams: Hashable, Sendable, CanonicalCodable {
    /// The most replicas a bucket in this cluster may ask for.
    public var replicationMax: UInt8
    public var description: String

    public init(replicationMax: UInt8 = 3, description: String = "") {
        self.replicationMax = replicationMax
        self.description = description
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(replicationMax)
        writer.write(description)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        replicationMax = try reader.readUInt8("replication max")
        description = try reader.readString(maxBytes: Storage.paramsBytesMax, "description")
    }
}

/// A set of nodes whose vnodes share one 64-bit ring, run by a manager.
public struct StorageCluster: Hashable, Sendable, CanonicalCodable {
    public var manager: AccountID
    public var params: ClusterParams
    /// Member nodes in the order they joined.
    public var nodes: [NodeKey] = []
    public var vnodeCount: UInt32 = 0
    /// Resource each vnode reserves from its node.
    public var resourcePerVNode: UInt32
    /// Resource allocated to buckets, at most `vnodeCount × resourcePerVNode`.
    public var resourceUsed: UInt64 = 0
    /// USD units per month per unit of resource: the sum over vnodes of their node's rent.
    public var totalRent: UInt64 = 0
    /// Settled rent not yet distributed (held in the cluster's escrow).
    public var revenues: Amount = .zero
    /// USD units per GB (10⁹ bytes) served, charged from bucket owners' bonds.
    public var usageRatePerGB: UInt64

    public init(manager: AccountID, params: ClusterParams, resourcePerVNode: UInt32) {
        self.manager = manager
        self.params = params
        self.resourcePerVNode = resourcePerVNode
        usageRatePerGB = Storage.defaultUsageRatePerGB
    }

    /// What the vnodes can hold in all.
    public var capacity: UInt64 { UInt64(vnodeCount) * UInt64(resourcePerVNode) }

    public func encode(to writer: inout ByteWriter) {
        writer.write(manager)
        writer.write(params)
        writer.write(nodes)
        writer.write(vnodeCount)
        writer.write(resourcePerVNode)
        writer.write(resourceUsed)
        writer.write(totalRent)
        writer.write(revenues)
        writer.write(usageRatePerGB)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        manager = try reader.read()
        params = try reader.read()
        nodes = try reader.readArray(maxCount: Storage.clusterNodesMax, "nodes")
        vnodeCount = try reader.readUInt32("vnode count")
        resourcePerVNode = try reader.readUInt32("resource per vnode")
        resourceUsed = try reader.readUInt64("resource used")
        totalRent = try reader.readUInt64("total rent")
        revenues = try reader.read()
        usageRatePerGB = try reader.readUInt64("usage rate")
    }
}

/// What a bucket tells nodes and clients (seed 004's `BucketParams`).
public struct BucketParams: Hashable, Sendable, CanonicalCodable {
    /// How many nodes hold each blob.
    public var replication: UInt8
    public var description: String

    public init(replication: UInt8 = 3, description: String = "") {
        self.replication = replication
        self.description = description
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(replication)
        writer.write(description)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        replication = try reader.readUInt8("replication")
        description = try reader.readString(maxBytes: Storage.paramsBytesMax, "description")
    }
}

/// A bucket: named storage in a cluster, paid for by its owner.
public struct StorageBucket: Hashable, Sendable, CanonicalCodable {
    public enum Access: UInt8, Hashable, Sendable, CanonicalByteEnum, CustomStringConvertible {
        case reader = 0, writer
        public static let canonicalName = "bucket access"
        public var description: String { self == .reader ? "reader" : "writer" }
    }

    public var owner: AccountID
    public var cluster: Identifier<StorageCluster>
    public var params: BucketParams
    /// Resource allocated in the cluster (one unit = one MiB a node may hold for this bucket).
    public var resourceReserved: UInt32 = 0
    /// Anyone may read a public bucket; writing always needs the owner or a writer.
    public var isPublic = false
    public var readers: [AccountID] = []
    public var writers: [AccountID] = []
    /// The rent flowing from the owner's account into the cluster.
    public var flow: Schedule = .empty

    public init(owner: AccountID, cluster: Identifier<StorageCluster>, params: BucketParams) {
        self.owner = owner
        self.cluster = cluster
        self.params = params
    }

    /// Whether `account` may write blobs into this bucket.
    public func mayWrite(_ account: AccountID) -> Bool { account == owner || writers.contains(account) }

    /// Whether `account` (or anyone, with `nil`) may read this bucket's blobs.
    public func mayRead(_ account: AccountID?) -> Bool {
        if isPublic { return true }
        guard let account else { return false }
        return mayWrite(account) || readers.contains(account)
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(owner)
        writer.write(cluster)
        writer.write(params)
        writer.write(resourceReserved)
        writer.write(isPublic)
        writer.write(readers)
        writer.write(writers)
        writer.write(flow)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        owner = try reader.read()
        cluster = try reader.read()
        params = try reader.read()
        resourceReserved = try reader.readUInt32("resource reserved")
        isPublic = try reader.readBool("public")
        readers = try reader.readArray(maxCount: Storage.bucketAccessMax, "readers")
        writers = try reader.readArray(maxCount: Storage.bucketAccessMax, "writers")
        flow = try reader.read()
    }
}

/// An account's money inside the storage network (seed 004's `Account`), all of it held in the
/// module's account escrow.
public struct StorageAccount: Hashable, Sendable, CanonicalCodable {
    /// Pays rent; what rent has not yet claimed can be withdrawn.
    public var deposit: Amount = .zero
    /// Pays for usage (bytes served); unbonding takes `Storage.unbondingMilliseconds`.
    public var bonded: Amount = .zero
    public var unbonding: Amount = .zero
    public var unbondingUnlocksAt: UInt64 = 0
    /// The sum of the flows of every bucket this account pays for.
    public var payable: Schedule = .empty

    public init() {}

    /// Everything the escrow holds for this account.
    public var held: Amount? { deposit.adding(bonded)?.adding(unbonding) }

    public var isEmpty: Bool { self == StorageAccount() }

    public func encode(to writer: inout ByteWriter) {
        writer.write(deposit)
        writer.write(bonded)
        writer.write(unbonding)
        writer.write(unbondingUnlocksAt)
        writer.write(payable)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        deposit = try reader.read()
        bonded = try reader.read()
        unbonding = try reader.read()
        unbondingUnlocksAt = try reader.readUInt64("unbonding unlocks at")
        payable = try reader.read()
    }
}

/// What a node last reported for a bucket: cumulative counters, so a report is idempotent and a
/// replayed or reordered one can never bill twice.
public struct UsageCounter: Hashable, Sendable, CanonicalCodable {
    public var servedBytes: UInt64 = 0
    public var storedBytes: UInt64 = 0
    /// Bytes served that the owner's bond could not pay yet; the next report bills them again.
    /// A node may refuse to serve a bucket while this is above zero.
    public var unbilledBytes: UInt64 = 0

    public init(servedBytes: UInt64 = 0, storedBytes: UInt64 = 0, unbilledBytes: UInt64 = 0) {
        self.servedBytes = servedBytes
        self.storedBytes = storedBytes
        self.unbilledBytes = unbilledBytes
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(servedBytes)
        writer.write(storedBytes)
        writer.write(unbilledBytes)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        servedBytes = try reader.readUInt64("served bytes")
        storedBytes = try reader.readUInt64("stored bytes")
        unbilledBytes = try reader.readUInt64("unbilled bytes")
    }
}
