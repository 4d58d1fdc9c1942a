import AsyncHTTPClient
import DMLBlobs
import DMLCore
import DMLLedger
import DMLNode
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// One storage node: an HTTP process that holds blobs for the buckets of its cluster.
///
/// It learns everything from the ledger it follows (which cluster it is in, each bucket's
/// writers, readers, replication and rent coverage) and answers:
///
/// ```
/// GET    /v1/health
/// PUT    /v1/buckets/{bucket}/blobs/{cid}     a writer (or a peer node), Content-Length required
/// GET    /v1/buckets/{bucket}/blobs/{cid}     a reader, or anyone for a public bucket; verified bytes
/// HEAD   /v1/buckets/{bucket}/blobs/{cid}
/// DELETE /v1/buckets/{bucket}/blobs/{cid}     a writer
/// GET    /v1/buckets/{bucket}/blobs           what this node holds for the bucket
/// POST   /v1/repair                           the node's provider or the cluster's manager
/// POST   /v1/usage/report                     the node's provider or the cluster's manager
/// ```
public final class StorageNodeServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 0
        /// The largest blob one upload may carry.
        public var blobBytesMax: UInt64 = 1 << 30
        public var followIntervalMilliseconds: UInt64 = 200
        /// Seconds between automatic repairs and usage reports; 0 turns them off.
        public var repairIntervalSeconds: UInt64 = 0
        public var usageIntervalSeconds: UInt64 = 0
        public init() {}
    }

    public let key: AccountKey
    public let follower: LedgerFollower
    let configuration: Configuration
    let directory: String
    let stores = Mutex<[UInt64: FileBlobStore]>([:])
    let usage: UsageBook
    let quotas = QuotaBook()
    let http: HTTPClient
    let logger: Logger

    public init(key: AccountKey, follower: LedgerFollower, directory: String, configuration: Configuration, logger: Logger) throws {
        self.key = key
        self.follower = follower
        self.directory = directory
        self.configuration = configuration
        self.logger = logger
        try FileManager.default.createDirectory(atPath: directory + "/buckets", withIntermediateDirectories: true)
        usage = try UsageBook(path: directory + "/usage.json")
        http = StorageClient.makeHTTPClient()
    }

    /// Runs the HTTP server (and the ledger follower, repairs and usage reports) until a
    /// SIGTERM or SIGINT; `onListening` gets the bound port.
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let app = Application(
            router: makeRouter(),
            server: .http1(configuration: .init(idleTimeout: .seconds(60))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "dml-storage-node"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? -1) },
            logger: logger)
        let background = Task { await self.backgroundWork() }
        defer { background.cancel() }
        do {
            try await app.runService()
        } catch {
            try? await http.shutdown()
            throw error
        }
        try? await http.shutdown()
        saveUsage()
    }

    /// Follows the ledger; repairs and reports usage on their intervals.
    func backgroundWork() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.follower.follow(intervalMilliseconds: self.configuration.followIntervalMilliseconds) }
            if configuration.repairIntervalSeconds > 0 {
                group.addTask { await self.every(milliseconds: self.configuration.repairIntervalSeconds * 1_000) { _ = await self.repairAll() } }
            }
            // Served bytes are billable: written down every few seconds, not only when reported.
            group.addTask { await self.every(milliseconds: 5_000) { self.saveUsage() } }
            if configuration.usageIntervalSeconds > 0 {
                group.addTask {
                    await self.every(milliseconds: self.configuration.usageIntervalSeconds * 1_000) {
                        do { _ = try await self.reportUsage() } catch { self.logger.warning("usage report failed, retried next round: \(error)") }
                    }
                }
            }
        }
    }

    /// Writes the served-byte counters; a failure is logged (the next round tries again).
    private func saveUsage() {
        do { try usage.saveIfChanged() } catch { logger.warning("cannot save usage counters: \(error)") }
    }

    private func every(milliseconds: UInt64, _ work: @Sendable () async -> Void) async {
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: milliseconds * 1_000_000)
            await work()
        }
    }

    // MARK: - State

    /// The blob store of one bucket on this node.
    func store(_ bucket: UInt64) throws(StorageNodeError) -> FileBlobStore {
        do {
            return try stores.withLock { stores throws(BlobError) -> FileBlobStore in
                if let store = stores[bucket] { return store }
                let store = try FileBlobStore(directory: "\(directory)/buckets/\(bucket)")
                stores[bucket] = store
                return store
            }
        } catch {
            throw .blob(error)
        }
    }

    /// The bucket as the ledger says now, and this node's place in its cluster.
    func view(_ bucket: UInt64) async throws(StorageNodeError) -> BucketView {
        let id = Identifier<StorageBucket>(bucket)
        guard let view = await follower.reading({ BucketView.read(id, in: $0) }) else { throw .unknownBucket(bucket) }
        guard view.urls[key.account] != nil else { throw .wrongCluster(bucket: bucket) }
        return view
    }

    /// Bytes this node holds for `bucket`.
    func storedBytes(_ bucket: UInt64) throws(StorageNodeError) -> UInt64 {
        let store = try store(bucket)
        var total: UInt64 = 0
        do throws(BlobError) {
            for id in try store.list() { total += try store.size(of: id) }
        } catch {
            throw .blob(error)
        }
        return total
    }

    // MARK: - Authorization

    /// The signer of the request, or `nil` if it carries no signature.
    func signer(of request: Request) throws(StorageNodeError) -> AccountID? {
        let name = RequestSignature.headerName.lowercased()
        guard let value = request.headers.first(where: { $0.name.canonicalName == name })?.value else { return nil }
        switch RequestSignature.verify(value, method: request.method.rawValue, path: request.uri.path, now: RequestSignature.nowMilliseconds()) {
        case .success(let account): return account
        case .failure(let error): throw error
        }
    }

    func requireWriter(_ signer: AccountID?, _ view: BucketView) throws(StorageNodeError) {
        guard let signer else { throw .unauthorized("writing to bucket \(view.id) needs a request signed by a writer") }
        guard view.bucket.mayWrite(signer) || view.urls[signer] != nil else {
            throw .forbidden("\(signer) is not a writer of bucket \(view.id)")
        }
    }

    func requireReader(_ signer: AccountID?, _ view: BucketView) throws(StorageNodeError) {
        if view.bucket.isPublic { return }
        guard let signer else { throw .unauthorized("bucket \(view.id) is private; sign the request as a reader") }
        guard view.bucket.mayRead(signer) || view.urls[signer] != nil else {
            throw .forbidden("\(signer) may not read bucket \(view.id)")
        }
    }

    func requireRentCovered(_ view: BucketView) throws(StorageNodeError) {
        guard view.rentCoveredUntil > RequestSignature.nowMilliseconds() else {
            throw .rentNotCovered(bucket: view.id.rawValue, coveredUntil: view.rentCoveredUntil)
        }
    }

    /// The node's provider or its cluster's manager may trigger maintenance.
    func requireOperator(_ signer: AccountID?) async throws(StorageNodeError) {
        let me = key.account
        let allowed: Set<AccountID> = await follower.reading { context in
            guard let node = Storage.node(me, in: context) else { return [] }
            var accounts: Set<AccountID> = [node.provider]
            if let cluster = node.cluster, let record = Storage.cluster(cluster, in: context) { accounts.insert(record.manager) }
            return accounts
        }
        guard let signer else { throw .unauthorized("maintenance needs a request signed by the node's provider or cluster manager") }
        guard allowed.contains(signer) else { throw .forbidden("\(signer) is neither this node's provider nor its cluster's manager") }
    }

    static func parseAddress(_ text: String) throws(StorageNodeError) -> ContentID {
        do { return try ContentID(parsing: text) } catch { throw .badAddress("\(error)") }
    }
}

extension StorageNodeError: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONEncoder().encode(["code": code, "message": description])
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
