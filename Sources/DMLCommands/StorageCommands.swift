import ArgumentParser
import DMLBlobs
import DMLCore
import DMLLedger
import DMLNode
import DMLStorageNode
import DMLStore
import Foundation
import Logging

/// `dml storage-node`: runs one storage node until SIGTERM/SIGINT.
struct StorageNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage-node",
        abstract: "Run a storage node: an HTTP server holding blobs for the buckets of its cluster.")

    @Option(help: "The node's own folder: its key (node.key) and its blobs.") var data: String
    @Option(help: "The chain's data folder (its SQLite log), followed read-only. DATABASE_URL, if set, wins.") var chain: String = ".dml"
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one; the chosen port is printed).") var port: Int = 0
    @Option(help: "Seconds between automatic repair passes (0: only on request).") var repairInterval: UInt64 = 0
    @Option(help: "Seconds between usage reports to the ledger (0: only on request).") var usageInterval: UInt64 = 0

    func run() async throws {
        let keys = KeyStore(dataDirectory: data)
        let key = try (try? keys.load("node")) ?? keys.create("node")
        var logger = Logger(label: "dml.storage-node")
        logger.logLevel = .warning
        let follower = try await LedgerFollower.open(DatabaseLocation.resolve(dataDirectory: chain), logger: logger)
        var configuration = StorageNodeServer.Configuration()
        configuration.host = host
        configuration.port = port
        configuration.repairIntervalSeconds = repairInterval
        configuration.usageIntervalSeconds = usageInterval
        let server = try StorageNodeServer(key: key, follower: follower, directory: data, configuration: configuration, logger: logger)
        let host = self.host
        try await server.run { port in
            // Written unbuffered: whoever started the node waits for this line to learn the port.
            FileHandle.standardOutput.write(Data("storage node \(key.account) listening on http://\(host):\(port)\n".utf8))
        }
        await follower.close()
    }
}

/// `dml storage …`: client-side operations on storage nodes.
struct StorageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage", abstract: "Store, fetch and repair blobs on the storage network.",
        subcommands: [Put.self, Get.self, Repair.self, Bench.self])

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Upload a file to every replica of a bucket; prints its CID.")
        @OptionGroup var options: DataOptions
        @Option(help: "The key that signs (a writer of the bucket).") var key: String
        @Option(help: "The bucket id.") var bucket: UInt64
        @Argument(help: "The file to upload.") var file: String

        func run() async throws {
            try await withClient(options, key: key) { client, view in
                let (id, _) = try await client.put(file: file, into: try view(bucket))
                print(id)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download a blob from any healthy replica, verified.")
        @OptionGroup var options: DataOptions
        @Option(help: "The key that signs (a reader; omit for a public bucket).") var key: String?
        @Option(help: "The bucket id.") var bucket: UInt64
        @Argument(help: "The blob's CID.") var cid: String
        @Option(help: "Where to write the blob.") var output: String

        func run() async throws {
            let id = try ContentID(parsing: cid)
            try await withClient(options, key: key) { client, view in
                let node = try await client.get(id, from: try view(bucket), to: output)
                print("\(id) from \(node) → \(output)")
            }
        }
    }

    struct Repair: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask every node of a cluster to check its blobs and restore missing or corrupt ones from peers.")
        @OptionGroup var options: DataOptions
        @Option(help: "The key that signs (the cluster's manager or a node's provider).") var key: String
        @Option(help: "The cluster id.") var cluster: UInt64

        func run() async throws {
            try await withClient(options, key: key) { client, _ in
                let chain = try await LedgerFollower.open(options.location, logger: quietLogger())
                let id = Identifier<StorageCluster>(cluster)
                let urls: [String] = await chain.reading { context in
                    (Storage.cluster(id, in: context)?.nodes ?? []).compactMap { Storage.node($0, in: context)?.params.url }
                }
                await chain.close()
                for url in urls {
                    do {
                        let report = try await client.repair(nodeURL: url)
                        print("\(url): \(report.healthy) healthy, \(report.restored) restored, \(report.corrupt) corrupt, \(report.lost.count) lost")
                    } catch {
                        print("\(url): \(error)")
                    }
                }
            }
        }
    }
}

extension StorageCommand {
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmark one storage node on loopback: upload and download MiB/s beside this machine's SHA-256 rate.",
            discussion: "Builds a throwaway chain and node in a temporary folder. Use a release build: swift build -c release")
        @Option(help: "The blob's size in MiB.") var mebibytes = 64
        @Option(help: "How many rounds (the median is reported).") var rounds = 3

        func run() async throws {
            var configuration = StorageBenchmark.Configuration(
                executable: try currentExecutable(),
                directory: NSTemporaryDirectory() + "dml-storage-bench-\(UUID().uuidString)")
            configuration.mebibytes = max(1, mebibytes)
            configuration.rounds = max(1, rounds)
            print(machineDescription())
            let report = try await StorageBenchmark(configuration).run { print("  \($0)") }
            print(report)
        }
    }
}

/// The path of the running `dml` executable, to start child processes of it.
func currentExecutable() throws -> String {
    if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
    if let path = Bundle.main.executablePath { return path }
    throw CommandFailure("cannot tell where the dml executable is")
}

/// Runs `body` with a storage client signing as `key` and a reader of bucket views from the chain.
func withClient(_ options: DataOptions, key name: String?,
                _ body: (StorageClient, (UInt64) throws -> BucketView) async throws -> Void) async throws {
    let key = try name.map { try options.keys.load($0) }
    let follower = try await LedgerFollower.open(options.location, logger: quietLogger())
    let ledger = await follower.ledger
    await follower.close()
    let http = StorageClient.makeHTTPClient()
    do {
        try await body(StorageClient(http: http, key: key)) { bucket in
            guard let view = ledger.reading({ BucketView.read(Identifier(bucket), in: $0) }) else {
                throw CommandFailure("there is no bucket \(bucket) on the ledger")
            }
            return view
        }
    } catch {
        try? await http.shutdown()
        throw error
    }
    try await http.shutdown()
}
