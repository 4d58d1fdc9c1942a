import DMLBlobs
import DMLCore
import DMLLedger
import DMLNode
import DMLStorageNode
import DMLStore
import Foundation

/// The storage act (three `dml storage-node` processes on loopback hold the story's artifacts
/// and are paid rent) and the closing verification of the chain from genesis.
extension MarketplaceDemo {
    func runStorage(artifacts: [String]) async throws {
        narrator.act("Storage: three providers run storage nodes, a cluster manager builds a cluster, the requester's archive rents a bucket")
        let keys = KeyStore(dataDirectory: options.folder)
        let providers = try (1...3).map { try keys.create("provider-\($0)") }
        let manager = try keys.create("cluster-manager"), archive = try keys.create("archive")
        try await stage.fund(providers.map(\.account) + [manager.account], tokens: 5)
        try await stage.fund([archive.account], tokens: 100)

        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "DATABASE_URL")
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var nodes: [StorageNodeProcess] = []
        do {
            for index in 1...3 {
                let data = options.folder + "/storage/node-\(index)", chain = options.folder, environment = environment
                nodes.append(try await StorageNodeProcess(executable: executable, data: data, chain: chain, environment: environment))
            }
            try await runCluster(nodes: nodes, providers: providers, manager: manager, archive: archive, artifacts: artifacts)
        } catch {
            for node in nodes { await node.stop() }
            throw error
        }
        for node in nodes { await node.stop() }
        narrator.done("the storage nodes stopped; their blobs stay in \(options.folder)/storage")
    }

    private func runCluster(nodes: [StorageNodeProcess], providers: [AccountKey], manager: AccountKey, archive: AccountKey,
                            artifacts: [String]) async throws {
        narrator.done("three node processes started (\(nodes.map(\.url).joined(separator: ", "))), each following the chain's log")

        for (provider, node) in zip(providers, nodes) {
            try await stage.submitSigned(StorageCall.createNode(node.account, capacity: 1_000, rentPerVNodePerMonth: 1_000_000_000,
                                                                params: NodeParams(url: node.url, description: "demo node")).call, by: provider)
            try await stage.submitSigned(RolesCall.grant(.clusterManagerTrustedBy(provider: provider.account), to: manager.account).call,
                                         by: provider)
        }
        try await stage.submitSigned(StorageCall.createCluster(ClusterParams(replicationMax: 3, description: "demo cluster"),
                                                               resourcePerVNode: 100).call, by: manager)
        let cluster = try await firstID(at: "/v1/storage/clusters?manager=\(manager.account.address)")
        for (index, node) in nodes.enumerated() {
            try await stage.submitSigned(StorageCall.addNode(Identifier(UInt64(cluster)), node: node.account,
                                                             vnodes: [UInt64(index) * (UInt64.max / 3)]).call, by: manager)
            try await stage.submitSigned(StorageCall.setNodeStatus(Identifier(UInt64(cluster)), node: node.account, .active).call, by: manager)
        }
        narrator.done("the providers registered their nodes and trusted the manager, who put them on cluster \(cluster)'s ring")

        try await stage.submitSigned(StorageCall.deposit(.tokens(50)!).call, by: archive)
        try await stage.submitSigned(StorageCall.createBucket(Identifier(UInt64(cluster)), BucketParams(replication: 2, description: "demo reports"),
                                                              owner: nil).call, by: archive)
        let bucket = try await firstID(at: "/v1/storage/buckets?owner=\(archive.account.address)")
        let allocated = try await stage.submitSigned(StorageCall.allocate(Identifier(UInt64(bucket)), resource: 50).call, by: archive)
        let head = await stage.chain.service.head.height
        let height = (allocated["height"] as? NSNumber)?.uint64Value ?? head
        narrator.done("the archive deposited 50 DML and rented bucket \(bucket): 2 replicas, 50 units")

        let http = StorageClient.makeHTTPClient()
        let stored: [(String, ContentID)]
        do {
            stored = try await storeArtifacts(artifacts, bucket: bucket, height: height, nodes: nodes,
                                              client: StorageClient(http: http, key: archive))
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }
        narrator.done("each artifact is on its two replicas, addressed by content; \(stored[0].0) read back byte for byte")

        // Rent accrues by the millisecond; anyone may settle it and distribute the revenue.
        try await Task.sleep(for: .seconds(1))
        let before = await providers.asyncMap { await self.stage.balance($0.account) }
        _ = try await json(cast.requester, "POST", "/v1/storage/buckets/\(bucket)/settle")
        let revenue = try await json(cast.requester, "GET", "/v1/storage/clusters/\(cluster)")["revenues"] as? String ?? "0"
        _ = try await json(cast.requester, "POST", "/v1/storage/clusters/\(cluster)/distribute")
        let after = await providers.asyncMap { await self.stage.balance($0.account) }
        let shown = try await json(cast.requester, "GET", "/v1/storage/buckets/\(bucket)")
        let coveredUntil = (shown["rentCoveredUntil"] as? NSNumber).map { Date(timeIntervalSince1970: $0.doubleValue / 1_000) }
        narrator.done("rent settled: \(dml(revenue)) moved from the deposit to the cluster and on to the providers "
                      + "(\(zip(before, after).map { "+\($1.baseUnits - $0.baseUnits)" }.joined(separator: ", ")) base units); "
                      + "the deposit covers rent until \(coveredUntil.map { ISO8601DateFormatter().string(from: $0) } ?? "?")")
    }

    /// Uploads each file to every replica of `bucket` once the nodes have seen it, and reads the first back.
    private func storeArtifacts(_ artifacts: [String], bucket: Int, height: UInt64, nodes: [StorageNodeProcess],
                                client: StorageClient) async throws -> [(String, ContentID)] {
        for node in nodes { try await client.waitUntilFollowing(nodeURL: node.url, height: height) }
        let view = await stage.chain.service.reading { BucketView.read(Identifier(UInt64(bucket)), in: $0) }
        guard let view else { throw CommandFailure("bucket \(bucket) is not on the ledger") }
        let bar = narrator.progress("artifacts stored", total: artifacts.count)
        var stored: [(String, ContentID)] = []
        for (index, path) in artifacts.enumerated() {
            let (id, results) = try await client.put(file: path, into: view)
            guard results.values.allSatisfy({ if case .success = $0 { true } else { false } }) else {
                throw CommandFailure("storing \(path) failed on a replica: \(results)")
            }
            stored.append(((path as NSString).lastPathComponent, id))
            bar.update(index + 1)
        }
        for (name, id) in stored { narrator.say("\(name) → \(id)") }
        let readBack = options.folder + "/storage/read-back.bin"
        try await client.get(stored[0].1, from: view, to: readBack)
        guard FileManager.default.contents(atPath: readBack) == FileManager.default.contents(atPath: artifacts[0]) else {
            throw CommandFailure("the stored report came back different")
        }

        return stored
    }

    private func firstID(at path: String) async throws -> Int {
        try await stage.waitUntil(seconds: 10, path) {
            ((try await json(cast.requester, "GET", path)["items"] as? [[String: Any]])?.isEmpty == false)
        }
        guard let id = (try await json(cast.requester, "GET", path)["items"] as? [[String: Any]])?.first?["id"] as? Int else {
            throw CommandFailure("nothing listed at \(path)")
        }
        return id
    }

    // MARK: Verification

    func verifyChain() async throws {
        narrator.act("The chain, verified: every block re-executed from genesis, every signature and state root checked")
        let log = try await BlockLog.open(.sqlite(path: options.folder + "/ledger.sqlite"), logger: quietLogger())
        let head = await stage.chain.service.head
        let report: ChainVerifier.Report
        do {
            report = try await ChainVerifier.verify(log: log)
        } catch {
            await log.close()
            throw CommandFailure("verification failed: \(error)")
        }
        await log.close()
        let ledger = await stage.chain.service.ledger
        let violations = ledger.invariantViolations()
        guard report.head.height >= head.height, report.invariantViolations.isEmpty, violations.isEmpty else {
            throw CommandFailure("verification disagrees: \(report.invariantViolations + violations)")
        }
        narrator.done("\(report.blocks) blocks and \(report.transactions) transactions verified; head root \(report.head.stateRoot.short)…")
        guard ledger.totalIssuance == .tokens(1_000_000)! else {
            throw CommandFailure("total issuance is \(ledger.totalIssuance), not the genesis allocation")
        }
        narrator.done("total issuance \(ledger.totalIssuance) — exactly the genesis allocation: nothing minted, nothing lost; every module's invariants hold")
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var values: [T] = []
        for element in self { values.append(try await transform(element)) }
        return values
    }
}
