import DMLCore

/// The calls of the Storage module. Tags are part of the protocol.
public enum StorageCall: ModuleCall, Hashable {
    // Nodes (origin: the provider).
    case createNode(NodeKey, capacity: UInt32, rentPerVNodePerMonth: UInt64, params: NodeParams)
    case setNodeParams(NodeKey, NodeParams)
    case removeNode(NodeKey)
    // Clusters (origin: the manager, except where noted).
    case createCluster(ClusterParams, resourcePerVNode: UInt32)
    case addNode(Identifier<StorageCluster>, node: NodeKey, vnodes: [UInt64])
    /// The manager or the node's provider.
    case removeNodeFromCluster(Identifier<StorageCluster>, node: NodeKey)
    case replaceNode(Identifier<StorageCluster>, vnodes: [UInt64], with: NodeKey)
    case resetNode(Identifier<StorageCluster>, node: NodeKey, vnodes: [UInt64])
    case setNodeStatus(Identifier<StorageCluster>, node: NodeKey, NodeStatus)
    case setClusterParams(Identifier<StorageCluster>, ClusterParams)
    case setResourcePerVNode(Identifier<StorageCluster>, UInt32)
    case removeCluster(Identifier<StorageCluster>)
    case setUsageRate(Identifier<StorageCluster>, usdPerGB: UInt64)
    // Buckets (origin: the owner; allocation, availability and access also the manager).
    case createBucket(Identifier<StorageCluster>, BucketParams, owner: AccountID?)
    case allocate(Identifier<StorageBucket>, resource: UInt32)
    case setBucketParams(Identifier<StorageBucket>, BucketParams)
    case changeBucketOwner(Identifier<StorageBucket>, to: AccountID)
    case setBucketAvailability(Identifier<StorageBucket>, isPublic: Bool)
    case grantBucketAccess(Identifier<StorageBucket>, StorageBucket.Access, to: AccountID)
    case revokeBucketAccess(Identifier<StorageBucket>, StorageBucket.Access, from: AccountID)
    // Billing (settlement and distribution: anyone).
    case settleBucket(Identifier<StorageBucket>)
    case distributeRevenues(Identifier<StorageCluster>)
    case deposit(Amount)
    case bond(Amount)
    case unbond(Amount)
    case withdrawUnbonded
    case withdraw(Amount)
    /// Origin: the node itself, signing with its node key.
    case reportUsage(Identifier<StorageBucket>, servedBytesTotal: UInt64, storedBytes: UInt64)
    // Administration.
    /// Origin: holder of `setExchangeRate` (or a super-admin).
    case setExchangeRate(ExchangeRate)
    /// Origin: a super-admin.
    case setFees(StorageFees)
    case withdrawProtocolRevenue(Amount)

    public static let module = ModuleID.storage

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .createNode(key, capacity, rent, params):
            writer.write(UInt8(0)); writer.write(key); writer.write(capacity); writer.write(rent); writer.write(params)
        case let .setNodeParams(key, params): writer.write(UInt8(1)); writer.write(key); writer.write(params)
        case .removeNode(let key): writer.write(UInt8(2)); writer.write(key)
        case let .createCluster(params, resource): writer.write(UInt8(3)); writer.write(params); writer.write(resource)
        case let .addNode(id, node, vnodes): writer.write(UInt8(4)); writer.write(id); writer.write(node); writer.write(vnodes)
        case let .removeNodeFromCluster(id, node): writer.write(UInt8(5)); writer.write(id); writer.write(node)
        case let .replaceNode(id, vnodes, node): writer.write(UInt8(6)); writer.write(id); writer.write(vnodes); writer.write(node)
        case let .resetNode(id, node, vnodes): writer.write(UInt8(7)); writer.write(id); writer.write(node); writer.write(vnodes)
        case let .setNodeStatus(id, node, status): writer.write(UInt8(8)); writer.write(id); writer.write(node); writer.write(status)
        case let .setClusterParams(id, params): writer.write(UInt8(9)); writer.write(id); writer.write(params)
        case let .setResourcePerVNode(id, resource): writer.write(UInt8(10)); writer.write(id); writer.write(resource)
        case .removeCluster(let id): writer.write(UInt8(11)); writer.write(id)
        case let .setUsageRate(id, rate): writer.write(UInt8(12)); writer.write(id); writer.write(rate)
        case let .createBucket(id, params, owner): writer.write(UInt8(13)); writer.write(id); writer.write(params); writer.write(owner)
        case let .allocate(id, resource): writer.write(UInt8(14)); writer.write(id); writer.write(resource)
        case let .setBucketParams(id, params): writer.write(UInt8(15)); writer.write(id); writer.write(params)
        case let .changeBucketOwner(id, owner): writer.write(UInt8(16)); writer.write(id); writer.write(owner)
        case let .setBucketAvailability(id, isPublic): writer.write(UInt8(17)); writer.write(id); writer.write(isPublic)
        case let .grantBucketAccess(id, access, account): writer.write(UInt8(18)); writer.write(id); writer.write(access); writer.write(account)
        case let .revokeBucketAccess(id, access, account): writer.write(UInt8(19)); writer.write(id); writer.write(access); writer.write(account)
        case .settleBucket(let id): writer.write(UInt8(20)); writer.write(id)
        case .distributeRevenues(let id): writer.write(UInt8(21)); writer.write(id)
        case .deposit(let amount): writer.write(UInt8(22)); writer.write(amount)
        case .bond(let amount): writer.write(UInt8(23)); writer.write(amount)
        case .unbond(let amount): writer.write(UInt8(24)); writer.write(amount)
        case .withdrawUnbonded: writer.write(UInt8(25))
        case .withdraw(let amount): writer.write(UInt8(26)); writer.write(amount)
        case let .reportUsage(id, served, stored): writer.write(UInt8(27)); writer.write(id); writer.write(served); writer.write(stored)
        case .setExchangeRate(let rate): writer.write(UInt8(28)); writer.write(rate)
        case .setFees(let fees): writer.write(UInt8(29)); writer.write(fees)
        case .withdrawProtocolRevenue(let amount): writer.write(UInt8(30)); writer.write(amount)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        let vnodesMax = Storage.clusterVNodesMax
        switch try reader.readUInt8("call tag") {
        case 0: self = .createNode(try reader.read(), capacity: try reader.readUInt32("capacity"), rentPerVNodePerMonth: try reader.readUInt64("rent"),
                                   params: try reader.read())
        case 1: self = .setNodeParams(try reader.read(), try reader.read())
        case 2: self = .removeNode(try reader.read())
        case 3: self = .createCluster(try reader.read(), resourcePerVNode: try reader.readUInt32("resource per vnode"))
        case 4: self = .addNode(try reader.read(), node: try reader.read(), vnodes: try reader.readArray(maxCount: vnodesMax, "vnodes"))
        case 5: self = .removeNodeFromCluster(try reader.read(), node: try reader.read())
        case 6: self = .replaceNode(try reader.read(), vnodes: try reader.readArray(maxCount: vnodesMax, "vnodes"), with: try reader.read())
        case 7: self = .resetNode(try reader.read(), node: try reader.read(), vnodes: try reader.readArray(maxCount: vnodesMax, "vnodes"))
        case 8: self = .setNodeStatus(try reader.read(), node: try reader.read(), try reader.read())
        case 9: self = .setClusterParams(try reader.read(), try reader.read())
        case 10: self = .setResourcePerVNode(try reader.read(), try reader.readUInt32("resource per vnode"))
        case 11: self = .removeCluster(try reader.read())
        case 12: self = .setUsageRate(try reader.read(), usdPerGB: try reader.readUInt64("usage rate"))
        case 13: self = .createBucket(try reader.read(), try reader.read(), owner: try reader.readOptional(AccountID.self, "owner"))
        case 14: self = .allocate(try reader.read(), resource: try reader.readUInt32("resource"))
        case 15: self = .setBucketParams(try reader.read(), try reader.read())
        case 16: self = .changeBucketOwner(try reader.read(), to: try reader.read())
        case 17: self = .setBucketAvailability(try reader.read(), isPublic: try reader.readBool("public"))
        case 18: self = .grantBucketAccess(try reader.read(), try reader.read(), to: try reader.read())
        case 19: self = .revokeBucketAccess(try reader.read(), try reader.read(), from: try reader.read())
        case 20: self = .settleBucket(try reader.read())
        case 21: self = .distributeRevenues(try reader.read())
        case 22: self = .deposit(try reader.read())
        case 23: self = .bond(try reader.read())
        case 24: self = .unbond(try reader.read())
        case 25: self = .withdrawUnbonded
        case 26: self = .withdraw(try reader.read())
        case 27: self = .reportUsage(try reader.read(), servedBytesTotal: try reader.readUInt64("served bytes"),
                                     storedBytes: try reader.readUInt64("stored bytes"))
        case 28: self = .setExchangeRate(try reader.read())
        case 29: self = .setFees(try reader.read())
        case 30: self = .withdrawProtocolRevenue(try reader.read())
        case let tag: throw .unknownTag(field: "storage call", offset: start, tag: UInt64(tag))
        }
    }
}
