import DMLCore

/// What the Storage module reports.
public enum StorageEvent: ModuleEvent, Hashable {
    case nodeCreated(NodeKey, provider: AccountID, capacity: UInt32, rentPerVNodePerMonth: UInt64)
    case nodeParamsSet(NodeKey)
    case nodeRemoved(NodeKey)
    case clusterCreated(Identifier<StorageCluster>, manager: AccountID, resourcePerVNode: UInt32)
    case nodeAdded(Identifier<StorageCluster>, node: NodeKey, vnodes: [UInt64])
    case nodeRemovedFromCluster(Identifier<StorageCluster>, node: NodeKey)
    case vnodesMoved(Identifier<StorageCluster>, vnodes: [UInt64], to: NodeKey)
    case nodeReset(Identifier<StorageCluster>, node: NodeKey, vnodes: [UInt64])
    case nodeStatusSet(Identifier<StorageCluster>, node: NodeKey, NodeStatus)
    case clusterParamsSet(Identifier<StorageCluster>)
    case resourcePerVNodeSet(Identifier<StorageCluster>, UInt32)
    case clusterRemoved(Identifier<StorageCluster>)
    case usageRateSet(Identifier<StorageCluster>, usdPerGB: UInt64)
    case bucketCreated(Identifier<StorageBucket>, owner: AccountID, cluster: Identifier<StorageCluster>)
    /// `rate`: USD units per month the bucket's rent grew by.
    case bucketAllocated(Identifier<StorageBucket>, cluster: Identifier<StorageCluster>, resource: UInt32, rate: UInt64)
    case bucketParamsSet(Identifier<StorageBucket>)
    case bucketOwnerChanged(Identifier<StorageBucket>, from: AccountID, to: AccountID)
    case bucketAvailabilitySet(Identifier<StorageBucket>, isPublic: Bool)
    case bucketAccessGranted(Identifier<StorageBucket>, StorageBucket.Access, to: AccountID)
    case bucketAccessRevoked(Identifier<StorageBucket>, StorageBucket.Access, from: AccountID)
    /// `paid` moved from the owner's deposit into the cluster; `complete` is false when the
    /// deposit ran out before the rent due did.
    case bucketSettled(Identifier<StorageBucket>, cluster: Identifier<StorageCluster>, paid: Amount, complete: Bool)
    case revenuesDistributed(Identifier<StorageCluster>, networkFee: Amount, managementFee: Amount, perShare: Amount,
                             shares: UInt32, kept: Amount)
    case providerPaid(Identifier<StorageCluster>, node: NodeKey, provider: AccountID, rent: Amount, usage: Amount)
    case deposited(AccountID, Amount)
    case bonded(AccountID, Amount)
    case unbonded(AccountID, Amount, unlocksAt: UInt64)
    case unbondedWithdrawn(AccountID, Amount)
    case withdrawn(AccountID, Amount)
    /// `charged` came out of the owner's bond: `nodeEarned` for the node, the rest to the
    /// protocol. `unbilledBytes` could not be paid (the bond was short) and stay due.
    case usageReported(Identifier<StorageBucket>, node: NodeKey, servedBytes: UInt64, storedBytes: UInt64,
                       charged: Amount, nodeEarned: Amount, unbilledBytes: UInt64)
    case exchangeRateSet(ExchangeRate)
    case feesSet(StorageFees)
    case protocolRevenueWithdrawn(Amount, to: AccountID)

    public static let module = ModuleID.storage

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .nodeCreated(key, provider, capacity, rent):
            writer.write(UInt8(0)); writer.write(key); writer.write(provider); writer.write(capacity); writer.write(rent)
        case .nodeParamsSet(let key): writer.write(UInt8(1)); writer.write(key)
        case .nodeRemoved(let key): writer.write(UInt8(2)); writer.write(key)
        case let .clusterCreated(id, manager, resource): writer.write(UInt8(3)); writer.write(id); writer.write(manager); writer.write(resource)
        case let .nodeAdded(id, node, vnodes): writer.write(UInt8(4)); writer.write(id); writer.write(node); writer.write(vnodes)
        case let .nodeRemovedFromCluster(id, node): writer.write(UInt8(5)); writer.write(id); writer.write(node)
        case let .vnodesMoved(id, vnodes, node): writer.write(UInt8(6)); writer.write(id); writer.write(vnodes); writer.write(node)
        case let .nodeReset(id, node, vnodes): writer.write(UInt8(7)); writer.write(id); writer.write(node); writer.write(vnodes)
        case let .nodeStatusSet(id, node, status): writer.write(UInt8(8)); writer.write(id); writer.write(node); writer.write(status)
        case .clusterParamsSet(let id): writer.write(UInt8(9)); writer.write(id)
        case let .resourcePerVNodeSet(id, resource): writer.write(UInt8(10)); writer.write(id); writer.write(resource)
        case .clusterRemoved(let id): writer.write(UInt8(11)); writer.write(id)
        case let .usageRateSet(id, rate): writer.write(UInt8(12)); writer.write(id); writer.write(rate)
        case let .bucketCreated(id, owner, cluster): writer.write(UInt8(13)); writer.write(id); writer.write(owner); writer.write(cluster)
        case let .bucketAllocated(id, cluster, resource, rate):
            writer.write(UInt8(14)); writer.write(id); writer.write(cluster); writer.write(resource); writer.write(rate)
        case .bucketParamsSet(let id): writer.write(UInt8(15)); writer.write(id)
        case let .bucketOwnerChanged(id, from, to): writer.write(UInt8(16)); writer.write(id); writer.write(from); writer.write(to)
        case let .bucketAvailabilitySet(id, isPublic): writer.write(UInt8(17)); writer.write(id); writer.write(isPublic)
        case let .bucketAccessGranted(id, access, account): writer.write(UInt8(18)); writer.write(id); writer.write(access); writer.write(account)
        case let .bucketAccessRevoked(id, access, account): writer.write(UInt8(19)); writer.write(id); writer.write(access); writer.write(account)
        case let .bucketSettled(id, cluster, paid, complete):
            writer.write(UInt8(20)); writer.write(id); writer.write(cluster); writer.write(paid); writer.write(complete)
        case let .revenuesDistributed(id, network, management, perShare, shares, kept):
            writer.write(UInt8(21)); writer.write(id); writer.write(network); writer.write(management); writer.write(perShare)
            writer.write(shares); writer.write(kept)
        case let .providerPaid(id, node, provider, rent, usage):
            writer.write(UInt8(22)); writer.write(id); writer.write(node); writer.write(provider); writer.write(rent); writer.write(usage)
        case let .deposited(account, amount): writer.write(UInt8(23)); writer.write(account); writer.write(amount)
        case let .bonded(account, amount): writer.write(UInt8(24)); writer.write(account); writer.write(amount)
        case let .unbonded(account, amount, unlocksAt): writer.write(UInt8(25)); writer.write(account); writer.write(amount); writer.write(unlocksAt)
        case let .unbondedWithdrawn(account, amount): writer.write(UInt8(26)); writer.write(account); writer.write(amount)
        case let .withdrawn(account, amount): writer.write(UInt8(27)); writer.write(account); writer.write(amount)
        case let .usageReported(id, node, served, stored, charged, earned, unbilled):
            writer.write(UInt8(28)); writer.write(id); writer.write(node); writer.write(served); writer.write(stored)
            writer.write(charged); writer.write(earned); writer.write(unbilled)
        case .exchangeRateSet(let rate): writer.write(UInt8(29)); writer.write(rate)
        case .feesSet(let fees): writer.write(UInt8(30)); writer.write(fees)
        case let .protocolRevenueWithdrawn(amount, to): writer.write(UInt8(31)); writer.write(amount); writer.write(to)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        let vnodesMax = Storage.clusterVNodesMax
        switch try reader.readUInt8("event tag") {
        case 0: self = .nodeCreated(try reader.read(), provider: try reader.read(), capacity: try reader.readUInt32("capacity"),
                                    rentPerVNodePerMonth: try reader.readUInt64("rent"))
        case 1: self = .nodeParamsSet(try reader.read())
        case 2: self = .nodeRemoved(try reader.read())
        case 3: self = .clusterCreated(try reader.read(), manager: try reader.read(), resourcePerVNode: try reader.readUInt32("resource"))
        case 4: self = .nodeAdded(try reader.read(), node: try reader.read(), vnodes: try reader.readArray(maxCount: vnodesMax, "vnodes"))
        case 5: self = .nodeRemovedFromCluster(try reader.read(), node: try reader.read())
        case 6: self = .vnodesMoved(try reader.read(), vnodes: try reader.readArray(maxCount: vnodesMax, "vnodes"), to: try reader.read())
        case 7: self = .nodeReset(try reader.read(), node: try reader.read(), vnodes: try reader.readArray(maxCount: vnodesMax, "vnodes"))
        case 8: self = .nodeStatusSet(try reader.read(), node: try reader.read(), try reader.read())
        case 9: self = .clusterParamsSet(try reader.read())
        case 10: self = .resourcePerVNodeSet(try reader.read(), try reader.readUInt32("resource"))
        case 11: self = .clusterRemoved(try reader.read())
        case 12: self = .usageRateSet(try reader.read(), usdPerGB: try reader.readUInt64("usage rate"))
        case 13: self = .bucketCreated(try reader.read(), owner: try reader.read(), cluster: try reader.read())
        case 14: self = .bucketAllocated(try reader.read(), cluster: try reader.read(), resource: try reader.readUInt32("resource"),
                                         rate: try reader.readUInt64("rate"))
        case 15: self = .bucketParamsSet(try reader.read())
        case 16: self = .bucketOwnerChanged(try reader.read(), from: try reader.read(), to: try reader.read())
        case 17: self = .bucketAvailabilitySet(try reader.read(), isPublic: try reader.readBool("public"))
        case 18: self = .bucketAccessGranted(try reader.read(), try reader.read(), to: try reader.read())
        case 19: self = .bucketAccessRevoked(try reader.read(), try reader.read(), from: try reader.read())
        case 20: self = .bucketSettled(try reader.read(), cluster: try reader.read(), paid: try reader.read(), complete: try reader.readBool("complete"))
        case 21: self = .revenuesDistributed(try reader.read(), networkFee: try reader.read(), managementFee: try reader.read(),
                                             perShare: try reader.read(), shares: try reader.readUInt32("shares"), kept: try reader.read())
        case 22: self = .providerPaid(try reader.read(), node: try reader.read(), provider: try reader.read(), rent: try reader.read(),
                                      usage: try reader.read())
        case 23: self = .deposited(try reader.read(), try reader.read())
        case 24: self = .bonded(try reader.read(), try reader.read())
        case 25: self = .unbonded(try reader.read(), try reader.read(), unlocksAt: try reader.readUInt64("unlocks at"))
        case 26: self = .unbondedWithdrawn(try reader.read(), try reader.read())
        case 27: self = .withdrawn(try reader.read(), try reader.read())
        case 28: self = .usageReported(try reader.read(), node: try reader.read(), servedBytes: try reader.readUInt64("served"),
                                       storedBytes: try reader.readUInt64("stored"), charged: try reader.read(),
                                       nodeEarned: try reader.read(), unbilledBytes: try reader.readUInt64("unbilled"))
        case 29: self = .exchangeRateSet(try reader.read())
        case 30: self = .feesSet(try reader.read())
        case 31: self = .protocolRevenueWithdrawn(try reader.read(), to: try reader.read())
        case let tag: throw .unknownTag(field: "storage event", offset: start, tag: UInt64(tag))
        }
    }
}
