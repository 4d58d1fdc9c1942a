import AsyncHTTPClient
import DMLBlobs
import DMLCore
import DMLLedger
import DMLNode
@testable import DMLStorageNode
import DMLStore
import Foundation
import NIOCore
import Testing

typealias NodeProcess = StorageNodeProcess

extension StorageNodeProcess {
    /// A node following the chain at `location` (its SQLite folder `chain`, or PostgreSQL).
    convenience init(data: String, chain: String, location: DatabaseLocation, port: Int = 0) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "DATABASE_URL")
        environment.removeValue(forKey: "DATABASE_SCHEMA")
        if case let .postgres(url, schema) = location {
            environment["DATABASE_URL"] = url
            environment["DATABASE_SCHEMA"] = schema
        }
        try await self.init(executable: Fixtures.binary, data: data, chain: chain, port: port, environment: environment)
    }
}

struct CommandLineFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

@Suite("Storage network: three node processes on loopback", .serialized)
struct StorageNetworkTests {
    let providers = (0..<3).map { AccountKey.insecureDerived(from: "storage-provider-\($0)") }
    let admin = AccountKey.insecureDerived(from: "storage-admin")
    let manager = AccountKey.insecureDerived(from: "storage-manager")
    let owner = AccountKey.insecureDerived(from: "storage-owner")
    let stranger = AccountKey.insecureDerived(from: "storage-stranger")

    func spec() -> ChainSpec {
        ChainSpec(name: "dml-storage-test", isDevelopment: true, genesisTimestampMilliseconds: LedgerService.wallClockMilliseconds(),
                  allocations: ([admin, manager, owner, stranger] + providers).map { .init($0.account, .tokens(1_000)!) },
                  superAdmins: [admin.account])
    }

    @discardableResult
    func submit(_ chain: LocalChain, _ call: StorageCall, as key: AccountKey) async throws -> UInt64 {
        switch await chain.submit(call.call, as: key) {
        case .success(let inclusion): return inclusion.height
        case .failure(let error): throw CommandLineFailure("\(call) refused: \(error)")
        }
    }

    func waitForNodes(_ nodes: [NodeProcess], height: UInt64, http: StorageClient) async throws {
        for node in nodes { try await http.waitUntilFollowing(nodeURL: node.url, height: height, timeoutSeconds: 120) }
    }

    @Test("write, read, kill a node, repair an empty node and a flipped byte; refuse strangers, unpaid and oversize uploads",
          arguments: Backend.allCases)
    func cluster(backend: Backend) async throws {
        guard var location = backend.freshLocation() else { return }
        let directory = Fixtures.temporaryDirectory()
        let chainDirectory = directory + "/chain"
        // Nodes find an SQLite log in their --chain folder; a PostgreSQL one through DATABASE_URL.
        if case .sqlite = location { location = .sqlite(path: chainDirectory + "/ledger.sqlite") }
        let chain = try await LocalChain.open(location, spec: spec())
        let pump = Task { await InboxPump.run(service: chain.service, log: chain.log, intervalMilliseconds: 20) }
        var nodes: [NodeProcess] = []
        let http = StorageClient.makeHTTPClient()
        // However the test ends: the nodes stopped, the client shut down, the chain closed.
        func cleanUp() async {
            pump.cancel()
            await pump.value
            for node in nodes { await node.stop() }
            try? await http.shutdown()
            await chain.close()
        }
        do {
            for index in 0..<3 { nodes.append(try await NodeProcess(data: "\(directory)/node\(index)", chain: chainDirectory, location: location)) }

            // Providers register their nodes and trust the manager, who builds a cluster on the ring.
            for (index, node) in nodes.enumerated() {
                try await submit(chain, .createNode(node.account, capacity: 1_000, rentPerVNodePerMonth: 1_000_000_000,
                                                    params: NodeParams(url: node.url)), as: providers[index])
                _ = await chain.submit(RolesCall.grant(.clusterManagerTrustedBy(provider: providers[index].account), to: manager.account).call,
                                       as: providers[index])
            }
            let cluster = Identifier<StorageCluster>(1)
            try await submit(chain, .createCluster(ClusterParams(replicationMax: 3), resourcePerVNode: 100), as: manager)
            for (index, node) in nodes.enumerated() {
                try await submit(chain, .addNode(cluster, node: node.account, vnodes: [UInt64(index) * (UInt64.max / 3)]), as: manager)
                try await submit(chain, .setNodeStatus(cluster, node: node.account, .active), as: manager)
            }
            // Bucket 1 is paid for; bucket 2 is allocated with no deposit; bucket 3 has a 1 MiB quota.
            try await submit(chain, .deposit(.tokens(100)!), as: owner)
            try await submit(chain, .createBucket(cluster, BucketParams(replication: 2), owner: nil), as: owner)
            try await submit(chain, .allocate(Identifier(1), resource: 50), as: owner)
            try await submit(chain, .createBucket(cluster, BucketParams(replication: 2), owner: nil), as: stranger)
            try await submit(chain, .allocate(Identifier(2), resource: 1), as: stranger)
            try await submit(chain, .createBucket(cluster, BucketParams(replication: 2), owner: nil), as: owner)
            let head = try await submit(chain, .allocate(Identifier(3), resource: 1), as: owner)
            let client = StorageClient(http: http, key: owner)
            try await waitForNodes(nodes, height: head, http: client)
            let view: @Sendable (UInt64) async -> BucketView = { id in await chain.service.ledger.reading { BucketView.read(Identifier(id), in: $0)! } }

            // Write a chunked blob (3.5 MiB) to both replicas; read it back.
            let original = (0..<(3 * 1_048_576 + 524_288)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
            let file = directory + "/blob.bin"
            _ = FileManager.default.createFile(atPath: file, contents: Data(original))
            let bucket = await view(1)
            let (cid, results) = try await client.put(file: file, into: bucket)
            #expect(results.count == 2 && results.values.allSatisfy { if case .success = $0 { true } else { false } })
            try await client.get(cid, from: bucket, to: directory + "/read.bin")
            #expect(FileManager.default.contents(atPath: directory + "/read.bin") == Data(original))

            // Refusals: a stranger cannot write, an anonymous reader cannot read a private bucket,
            // an unpaid bucket is refused, an upload past the quota is refused.
            await #expect(throws: StorageClient.Failure.self) { try await StorageClient(http: http, key: stranger).put(file: file, into: bucket) }
            await #expect(throws: StorageClient.Failure.self) { try await StorageClient(http: http, key: nil).get(cid, from: bucket, to: directory + "/x") }
            do {
                _ = try await StorageClient(http: http, key: stranger).put(file: file, into: await view(2))
                Issue.record("an unpaid bucket took an upload")
            } catch let failure as StorageClient.Failure {
                #expect(failure.status == 402 && failure.message.contains("rent_not_covered"))
            }
            do {
                _ = try await client.put(file: file, into: await view(3))
                Issue.record("an upload past the quota was stored")
            } catch let failure as StorageClient.Failure {
                #expect(failure.status == 413 && failure.message.contains("quota_exceeded"))
            }
            // A truncated upload (the connection closes early) leaves nothing behind.
            let small = Array("hello, storage".utf8)
            let smallID = ContentID.of(small, codec: .raw)
            let target = bucket.replicas(of: smallID)[0]
            let node = nodes.first { $0.account == target }!
            try await sendTruncatedPut(port: node.port, path: "/v1/buckets/1/blobs/\(smallID)", key: owner, declared: 1_000, sent: Array(small.prefix(5)))
            // The node has answered or closed the connection; its clean-up of the partial file is awaited.
            let tmp = "\(node.data)/buckets/1/tmp"
            for _ in 0..<300 where !((try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []).isEmpty {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(await !client.has(smallID, in: bucket, on: target))
            #expect((try? FileManager.default.contentsOfDirectory(atPath: "\(node.data)/buckets/1/tmp")) ?? [] == [])

            // Kill one replica: the blob is still readable from the other.
            let replicas = bucket.replicas(of: cid)
            let victimIndex = nodes.firstIndex { $0.account == replicas[0] }!
            await nodes[victimIndex].kill()
            let served = try await client.get(cid, from: bucket, to: directory + "/read2.bin")
            #expect(served == replicas[1])
            #expect(FileManager.default.contents(atPath: directory + "/read2.bin") == Data(original))

            // Bring it back empty on the same port: repair restores every replica it should hold.
            try FileManager.default.removeItem(atPath: nodes[victimIndex].data + "/buckets")
            nodes[victimIndex] = try await NodeProcess(data: nodes[victimIndex].data, chain: chainDirectory, location: location,
                                                 port: nodes[victimIndex].port)
            try await waitForNodes([nodes[victimIndex]], height: head, http: client)
            let provider = StorageClient(http: http, key: providers[victimIndex])
            let report = try await provider.repair(nodeURL: nodes[victimIndex].url)
            #expect(report.restored == 1 && report.lost.isEmpty)
            #expect(await client.has(cid, in: bucket, on: replicas[0]))

            // Flip a byte on disk: the check finds it and restores the copy from the other replica.
            let other = nodes.first { $0.account == replicas[1] }!
            let path = try blobFile(cid, under: other.data + "/buckets/1/blobs")
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[2_000_000] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: path))
            let otherIndex = nodes.firstIndex { $0.account == replicas[1] }!
            let second = try await StorageClient(http: http, key: providers[otherIndex]).repair(nodeURL: other.url)
            #expect(second.corrupt == 1 && second.restored == 1)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(original))

            // Usage is billed through the ledger: the node reports, the inbox feeds the sequencer.
            try await StorageClient(http: http, key: providers[otherIndex]).reportUsage(nodeURL: other.url)
            var billed = UInt64(0)
            // Several hops (node, inbox, pump, sequencer): waited for as an event, given up only
            // after a minute so that a broken build fails instead of hanging.
            for _ in 0..<600 where billed == 0 {
                try await Task.sleep(nanoseconds: 100_000_000)
                billed = await chain.service.ledger.reading { Storage.usage(of: Identifier(1), by: other.account, in: $0) }.servedBytes
            }
            #expect(billed >= UInt64(original.count))
            #expect(await chain.service.ledger.invariantViolations() == [])
        } catch {
            await cleanUp()
            throw error
        }
        await cleanUp()
    }

    @Test("the storage benchmark runs end to end on a real node and cleans up after itself")
    func benchmark() async throws {
        var configuration = StorageBenchmark.Configuration(executable: Fixtures.binary, directory: Fixtures.temporaryDirectory() + "/bench")
        configuration.mebibytes = 2
        configuration.rounds = 1
        let report = try await StorageBenchmark(configuration).run()
        #expect(report.bytes == 2 * 1_048_576)
        for seconds in [report.sha256Seconds, report.addressSeconds, report.uploadSeconds, report.downloadSeconds] {
            #expect(seconds.count == 1 && seconds[0] > 0)
        }
        #expect(report.description.contains("upload (PUT"))
        #expect(!FileManager.default.fileExists(atPath: configuration.directory))
    }

    /// The path of a blob's data file in a node's store.
    func blobFile(_ id: ContentID, under directory: String) throws -> String {
        for shard in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let path = "\(directory)/\(shard)/\(id)"
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        throw CommandLineFailure("no file for \(id) under \(directory)")
    }

    /// A PUT whose body stops short of its Content-Length; returns once the node has answered
    /// or closed the connection.
    func sendTruncatedPut(port: Int, path: String, key: AccountKey, declared: Int, sent: [UInt8]) async throws {
        let signature = RequestSignature.header(key: key, method: "PUT", path: path, timestamp: RequestSignature.nowMilliseconds())
        let head = "PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(declared)\r\n\(RequestSignature.headerName): \(signature)\r\n\r\n"
        _ = try await RawHTTP.exchange(port: port, Array(head.utf8) + sent)
    }
}
