import DMLBlobs
import DMLCore
import DMLLedger

/// What a node or a client needs to know about one bucket, read from the ledger at one moment:
/// the bucket, its cluster's ring and node addresses, and until when its rent is covered.
public struct BucketView: Sendable {
    public let id: Identifier<StorageBucket>
    public let bucket: StorageBucket
    public let clusterID: Identifier<StorageCluster>
    public let ring: [(token: UInt64, node: NodeKey)]
    public let urls: [NodeKey: String]
    public let statuses: [NodeKey: NodeStatus]
    public let rentCoveredUntil: UInt64
    /// Bytes each node may hold for this bucket.
    public var quotaBytes: UInt64 { UInt64(bucket.resourceReserved) * Storage.bytesPerResourceUnit }

    /// `nil` if the bucket or its cluster is unknown.
    public static func read(_ id: Identifier<StorageBucket>, in context: CallContext) -> BucketView? {
        guard let bucket = Storage.bucket(id, in: context), let cluster = Storage.cluster(bucket.cluster, in: context) else { return nil }
        var urls: [NodeKey: String] = [:]
        var statuses: [NodeKey: NodeStatus] = [:]
        for key in cluster.nodes {
            guard let node = Storage.node(key, in: context) else { continue }
            urls[key] = node.params.url
            statuses[key] = node.status
        }
        return BucketView(id: id, bucket: bucket, clusterID: bucket.cluster, ring: Storage.ring(of: bucket.cluster, in: context),
                          urls: urls, statuses: statuses, rentCoveredUntil: Storage.rentCoveredUntil(id, in: context) ?? 0)
    }

    /// The nodes that hold `address`, primary first (the ring places by the binary CID).
    public func replicas(of address: ContentID) -> [NodeKey] {
        Placement.replicas(of: address.bytes, ring: ring, replication: Int(bucket.params.replication))
    }

    /// Every node of the cluster, in ring order of first appearance.
    public var nodes: [NodeKey] {
        var seen: [NodeKey] = []
        for entry in ring where !seen.contains(entry.node) { seen.append(entry.node) }
        return seen
    }
}
