import AsyncHTTPClient
import Crypto
import DMLBlobs
import DMLCore
import DMLLedger
import DMLNode
import DMLStore
import Foundation

/// The storage benchmark: how fast one storage node on loopback takes and serves a large blob,
/// beside how fast this machine computes SHA-256 — the work every byte needs on both sides
/// (the client addresses the file, the node verifies the upload and every read).
///
/// It builds a real one-node network: a fresh SQLite chain, a `dml storage-node` process that
/// follows it, a cluster and a paid bucket with replication 1; then, each round, uploads a
/// blob of pseudorandom bytes through the signed HTTP API, downloads it (verified, to a file,
/// fsynced), and deletes it.
public struct StorageBenchmark: Sendable {
    public struct Configuration: Sendable {
        public var mebibytes = 64
        public var rounds = 3
        /// The `dml` executable that runs the node.
        public var executable: String
        /// A scratch folder (created, and removed afterwards).
        public var directory: String

        public init(executable: String, directory: String) {
            self.executable = executable
            self.directory = directory
        }
    }

    public struct Report: Sendable, CustomStringConvertible {
        public let bytes: Int
        /// Seconds per round of each measurement.
        public let sha256Seconds: [Double]
        public let addressSeconds: [Double]
        public let uploadSeconds: [Double]
        public let downloadSeconds: [Double]

        /// MiB per second of the median round.
        public func rate(_ seconds: [Double]) -> Double {
            let sorted = seconds.sorted()
            return Double(bytes) / 1_048_576 / sorted[sorted.count / 2]
        }

        public var description: String {
            func line(_ name: String, _ seconds: [Double]) -> String {
                let rates = seconds.map { String(format: "%.0f", Double(bytes) / 1_048_576 / $0) }.joined(separator: ", ")
                return "\(name.padding(toLength: 36, withPad: " ", startingAt: 0))\(String(format: "%7.0f", rate(seconds))) MiB/s   (rounds: \(rates))"
            }
            return """
                blob:                               \(bytes / 1_048_576) MiB, \(sha256Seconds.count) rounds, median shown
                \(line("SHA-256 in memory (one core):", sha256Seconds))
                \(line("blob address of the file (client):", addressSeconds))
                \(line("upload (PUT, verified, fsynced):", uploadSeconds))
                \(line("download (GET, verified, fsynced):", downloadSeconds))
                upload / SHA-256:                   \(String(format: "%.2f", rate(uploadSeconds) / rate(sha256Seconds)))
                download / SHA-256:                 \(String(format: "%.2f", rate(downloadSeconds) / rate(sha256Seconds)))
                """
        }
    }

    let configuration: Configuration

    public init(_ configuration: Configuration) { self.configuration = configuration }

    public func run(progress: (String) -> Void = { _ in }) async throws -> Report {
        let directory = configuration.directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bytes = configuration.mebibytes * 1_048_576
        let rounds = max(1, configuration.rounds)

        progress("generating \(configuration.mebibytes) MiB of pseudorandom bytes…")
        var blob = Self.pseudorandomBytes(count: bytes)
        var sha256Seconds: [Double] = []
        for _ in 0..<rounds {
            sha256Seconds.append(Self.seconds { _ = blob.withUnsafeBytes { SHA256.hash(data: $0) } })
        }

        progress("starting a chain and a storage node…")
        let http = StorageClient.makeHTTPClient()
        let client = StorageClient(http: http, key: Self.owner)
        let chain: LocalChain, node: StorageNodeProcess, view: BucketView
        do {
            (chain, node, view) = try await Self.network(configuration, resource: UInt32(configuration.mebibytes + 1), client: client)
        } catch {
            try? await http.shutdown()
            throw error
        }
        do {
            var addressSeconds: [Double] = [], uploadSeconds: [Double] = [], downloadSeconds: [Double] = []
            let file = directory + "/blob.bin", copy = directory + "/copy.bin"
            for round in 0..<rounds {
                progress("round \(round + 1) of \(rounds)…")
                // A different blob each round, so no round is served from an earlier one.
                withUnsafeBytes(of: UInt64(round)) { blob.replaceSubrange(0..<8, with: $0) }
                try Data(blob).write(to: URL(fileURLWithPath: file))
                var address: BlobAddress?
                addressSeconds.append(try Self.seconds { address = try StorageClient.address(ofFile: file) })
                guard let address else { throw StorageClient.Failure(node: "-", status: nil, message: "no address") }
                let target = view.replicas(of: address.id)[0]
                var outcome: Result<Void, StorageClient.Failure> = .success(())
                uploadSeconds.append(await Self.seconds {
                    outcome = await client.upload(file, size: address.size, id: address.id, to: target, in: view)
                })
                try outcome.get()
                downloadSeconds.append(try await Self.seconds { try await client.download(address.id, from: target, in: view, to: copy) })
                try await client.delete(address.id, in: view)
            }
            // Stopped and waited for before the caller removes the folder it writes in.
            await node.stop()
            try await http.shutdown()
            await chain.close()
            return Report(bytes: bytes, sha256Seconds: sha256Seconds, addressSeconds: addressSeconds,
                          uploadSeconds: uploadSeconds, downloadSeconds: downloadSeconds)
        } catch {
            await node.stop()
            try? await http.shutdown()
            await chain.close()
            throw error
        }
    }

    // MARK: - The one-node network

    static let provider = AccountKey.insecureDerived(from: "storage-bench-provider")
    static let manager = AccountKey.insecureDerived(from: "storage-bench-manager")
    static let owner = AccountKey.insecureDerived(from: "storage-bench-owner")

    /// A fresh chain, a node process following it, and a paid bucket (id 1) on that node.
    static func network(_ configuration: Configuration, resource: UInt32, client: StorageClient) async throws
        -> (LocalChain, StorageNodeProcess, BucketView) {
        let chainDirectory = configuration.directory + "/chain"
        let spec = ChainSpec(name: "dml-storage-bench", isDevelopment: true, genesisTimestampMilliseconds: LedgerService.wallClockMilliseconds(),
                             allocations: [provider, manager, owner].map { .init($0.account, .tokens(1_000)!) },
                             superAdmins: [manager.account])
        let chain = try await LocalChain.open(.sqlite(path: chainDirectory + "/ledger.sqlite"), spec: spec)
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "DATABASE_URL")
        let node: StorageNodeProcess
        do {
            node = try await StorageNodeProcess(executable: configuration.executable, data: configuration.directory + "/node",
                                          chain: chainDirectory, environment: environment)
        } catch {
            await chain.close()
            throw error
        }
        do {
            let cluster = Identifier<StorageCluster>(1), bucket = Identifier<StorageBucket>(1)
            let calls: [(Call, AccountKey)] = [
                (StorageCall.createNode(node.account, capacity: resource, rentPerVNodePerMonth: 1_000_000_000,
                                        params: NodeParams(url: node.url)).call, provider),
                (RolesCall.grant(.clusterManagerTrustedBy(provider: provider.account), to: manager.account).call, provider),
                (StorageCall.createCluster(ClusterParams(replicationMax: 1), resourcePerVNode: resource).call, manager),
                (StorageCall.addNode(cluster, node: node.account, vnodes: [0]).call, manager),
                (StorageCall.setNodeStatus(cluster, node: node.account, .active).call, manager),
                (StorageCall.deposit(.tokens(100)!).call, owner),
                (StorageCall.createBucket(cluster, BucketParams(replication: 1), owner: nil).call, owner),
                (StorageCall.allocate(bucket, resource: resource).call, owner),
            ]
            var head: UInt64 = 0
            for (call, key) in calls {
                switch await chain.submit(call, as: key) {
                case .success(let inclusion): head = inclusion.height
                case .failure(let error): throw StorageClient.Failure(node: "ledger", status: nil, message: "\(call) refused: \(error)")
                }
            }
            try await client.waitUntilFollowing(nodeURL: node.url, height: head)
            guard let view = await chain.service.reading({ BucketView.read(bucket, in: $0) }) else {
                throw StorageClient.Failure(node: "ledger", status: nil, message: "bucket 1 was not created")
            }
            return (chain, node, view)
        } catch {
            await node.stop()
            await chain.close()
            throw error
        }
    }

    // MARK: - Helpers

    /// `count` bytes from a fixed xorshift generator: incompressible, the same every run.
    static func pseudorandomBytes(count: Int) -> [UInt8] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            let words = buffer.count / 8
            for index in 0..<words {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                buffer.storeBytes(of: state, toByteOffset: index * 8, as: UInt64.self)
            }
        }
        return bytes
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    static func seconds(_ body: () async throws -> Void) async rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try await body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
