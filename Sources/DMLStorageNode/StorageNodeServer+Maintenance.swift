import DMLBlobs
import DMLCore
import DMLLedger
import Foundation
import Hummingbird

extension StorageNodeServer {
    /// What one repair pass found and did.
    public struct RepairReport: Codable, Sendable, ResponseEncodable, Equatable {
        /// Blobs this node should hold and held intact.
        public var healthy = 0
        /// Missing or corrupt copies fetched again from a peer.
        public var restored = 0
        /// Corrupt copies found (each deleted, then restored if a peer had it).
        public var corrupt = 0
        /// Blobs no peer could provide.
        public var lost: [String] = []
    }

    /// Checks every blob this node should hold in every bucket of its cluster, and fetches
    /// missing or corrupt ones from the peers that hold them. Peers list their blobs, so a node
    /// that comes back empty learns what it must hold from them and the ring.
    public func repairAll() async -> RepairReport {
        _ = try? await follower.refresh()
        let me = key.account
        let buckets: [BucketView] = await follower.reading { context in
            guard let cluster = Storage.node(me, in: context)?.cluster else { return [] }
            return Storage.buckets(offset: 0, limit: .max, in: context).page
                .filter { $0.1.cluster == cluster }.compactMap { BucketView.read($0.0, in: context) }
        }
        var report = RepairReport()
        for view in buckets { await repair(view, into: &report) }
        logger.info("repair: \(report.healthy) healthy, \(report.restored) restored, \(report.corrupt) corrupt, \(report.lost.count) lost")
        return report
    }

    func repair(_ view: BucketView, into report: inout RepairReport) async {
        let me = key.account
        let client = StorageClient(http: http, key: key)
        var holders: [ContentID: [NodeKey]] = [:]
        for peer in view.nodes where peer != me {
            guard let listed = try? await client.list(view, on: peer) else { continue }
            for blob in listed { holders[blob, default: []].append(peer) }
        }
        guard let store = try? store(view.id.rawValue) else { return }
        for local in (try? store.list()) ?? [] where holders[local] == nil { holders[local] = [] }
        for (cid, peers) in holders.sorted(by: { $0.key < $1.key }) where view.replicas(of: cid).contains(me) {
            let health = store.contains(cid) ? await store.verify(cid) : .missing
            if health == .ok { report.healthy += 1; continue }
            if case .corrupt = health { report.corrupt += 1 }
            try? store.delete(cid)
            var restored = false
            for peer in peers where !restored {
                restored = (try? await client.copy(cid, in: view, from: peer, into: store)) != nil
            }
            if restored { report.restored += 1 } else { report.lost.append(cid.description) }
        }
        // Restores and deletions changed what the bucket holds: measure it afresh on the next upload.
        quotas.forget(view.id.rawValue)
    }

    /// Signs a `reportUsage` transaction for each bucket whose counters moved and queues it in
    /// the ledger's inbox; returns the inbox ids. Counters are cumulative, so a report refused
    /// (say, for a nonce an earlier queued round already used) is simply sent again next round.
    public func reportUsage() async throws -> [Int64] {
        try usage.save()
        try await follower.refresh()
        let me = key.account
        let served = usage.snapshot()
        var reports: [(UInt64, UInt64, UInt64)] = []
        for (bucket, total) in served.sorted(by: { $0.key < $1.key }) {
            let stored = (try? storedBytes(bucket)) ?? 0
            let id = Identifier<StorageBucket>(bucket)
            let last = await follower.reading { Storage.usage(of: id, by: me, in: $0) }
            if last.servedBytes != total || last.storedBytes != stored || last.unbilledBytes > 0 { reports.append((bucket, total, stored)) }
        }
        let (chain, firstNonce) = await follower.reading { ($0.chainID, System.nextNonce(of: me, in: $0)) }
        var ids: [Int64] = []
        for (offset, report) in reports.enumerated() {
            let call = StorageCall.reportUsage(Identifier(report.0), servedBytesTotal: report.1, storedBytes: report.2).call
            let transaction = SignedTransaction(chain: chain, key: key, nonce: firstNonce + UInt64(offset), call: call)
            ids.append(try await follower.log.enqueue(transaction))
        }
        return ids
    }
}
