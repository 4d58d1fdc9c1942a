import AsyncHTTPClient
import DMLBlobs
import DMLCore
import DMLLedger
import Foundation
import NIOCore
import NIOHTTP1

/// Talks to storage nodes: writes a blob to every replica the ring names, reads it from any
/// healthy one (verifying the bytes itself), lists, deletes, and asks nodes to repair.
public struct StorageClient: Sendable {
    public let http: HTTPClient
    /// Signs requests; `nil` reads public buckets anonymously.
    public let key: AccountKey?

    public init(http: HTTPClient, key: AccountKey?) {
        self.http = http
        self.key = key
    }

    /// A client that fails over fast: a dead node costs a refused connection, not a long retry.
    public static func makeHTTPClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(2), read: .seconds(60)))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Why a client call failed.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let node: String
        public let status: Int?
        public let message: String
        public var description: String { "\(node): \(status.map { "HTTP \($0): " } ?? "")\(message)" }
    }

    // MARK: - Writing

    /// Hashes the file, then uploads it to every replica in parallel. Returns the address and
    /// each replica's outcome; `requireAll` throws unless every replica stored it.
    @discardableResult
    public func put(file path: String, into view: BucketView, requireAll: Bool = true) async throws
        -> (id: ContentID, results: [NodeKey: Result<Void, Failure>]) {
        let address = try Self.address(ofFile: path)
        let replicas = view.replicas(of: address.id)
        guard !replicas.isEmpty else { throw Failure(node: "-", status: nil, message: "bucket \(view.id)'s cluster has no nodes") }
        let results = await withTaskGroup(of: (NodeKey, Result<Void, Failure>).self) { group in
            for node in replicas {
                group.addTask { (node, await self.upload(path, size: address.size, id: address.id, to: node, in: view)) }
            }
            var results: [NodeKey: Result<Void, Failure>] = [:]
            for await (node, result) in group { results[node] = result }
            return results
        }
        if requireAll, let failure = results.values.compactMap({ if case .failure(let f) = $0 { f } else { nil } }).first { throw failure }
        return (address.id, results)
    }

    func upload(_ path: String, size: UInt64, id: ContentID, to node: NodeKey, in view: BucketView) async -> Result<Void, Failure> {
        do {
            var request = try self.request(.PUT, view, id, on: node)
            request.body = .stream(FileChunks(path: path), length: .known(Int64(size)))
            let response = try await http.execute(request, timeout: .seconds(300))
            try await Self.expect(response, [.created], node: url(node, view))
            _ = try await response.body.collect(upTo: 1 << 16)
            return .success(())
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(node: url(node, view), status: nil, message: "\(error)"))
        }
    }

    // MARK: - Reading

    /// Downloads the blob into `path` from the first replica that serves it intact (active
    /// nodes first); the bytes are hashed on the way and only a matching file is kept.
    /// Returns the node that served it.
    @discardableResult
    public func get(_ id: ContentID, from view: BucketView, to path: String) async throws -> NodeKey {
        var failures: [String] = []
        for node in preferred(view.replicas(of: id), view) {
            do {
                try await download(id, from: node, in: view, to: path)
                return node
            } catch {
                failures.append("\(error)")
            }
        }
        throw Failure(node: "every replica", status: nil, message: "could not read \(id): " + failures.joined(separator: "; "))
    }

    func download(_ id: ContentID, from node: NodeKey, in view: BucketView, to path: String) async throws {
        let response = try await http.execute(try request(.GET, view, id, on: node), timeout: .seconds(30))
        try await Self.expect(response, [.ok], node: url(node, view))
        let temporary = path + ".part"
        _ = FileManager.default.createFile(atPath: temporary, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: temporary) else {
            throw Failure(node: url(node, view), status: nil, message: "cannot write \(temporary)")
        }
        var hasher = BlobHasher()
        do {
            for try await buffer in response.body {
                let bytes = Array(buffer.readableBytesView)
                try hasher.update(bytes)
                try handle.write(contentsOf: bytes)
            }
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        guard hasher.finalize().id == id else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw Failure(node: url(node, view), status: nil, message: "the bytes served do not hash to \(id)")
        }
        _ = try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }

    /// Copies a blob from `node` straight into `store`, which checks it against its address.
    func copy(_ id: ContentID, in view: BucketView, from node: NodeKey, into store: FileBlobStore) async throws {
        let response = try await http.execute(try request(.GET, view, id, on: node), timeout: .seconds(30))
        try await Self.expect(response, [.ok], node: url(node, view))
        _ = try await store.put(expected: id, from: response.body.map { Array($0.readableBytesView) })
    }

    /// The blobs `node` holds for the bucket.
    public func list(_ view: BucketView, on node: NodeKey) async throws -> [ContentID] {
        var request = HTTPClientRequest(url: url(node, view) + listPath(view))
        sign(&request, method: "GET", path: listPath(view))
        let response = try await http.execute(request, timeout: .seconds(30))
        try await Self.expect(response, [.ok], node: url(node, view))
        let body = try await response.body.collect(upTo: 16 << 20)
        let replies = try JSONDecoder().decode([StorageNodeServer.StoredReply].self, from: Data(body.readableBytesView))
        return try replies.map { try ContentID(parsing: $0.cid) }
    }

    /// Whether `node` answers HEAD for the blob with 200.
    public func has(_ id: ContentID, in view: BucketView, on node: NodeKey) async -> Bool {
        guard let request = try? request(.HEAD, view, id, on: node),
              let response = try? await http.execute(request, timeout: .seconds(10)) else { return false }
        return response.status == .ok
    }

    public func delete(_ id: ContentID, in view: BucketView) async throws {
        for node in view.replicas(of: id) {
            let response = try await http.execute(try request(.DELETE, view, id, on: node), timeout: .seconds(30))
            try await Self.expect(response, [.noContent], node: url(node, view))
        }
    }

    /// The node's health: its key, cluster, status, and how far it has followed the ledger.
    public func health(nodeURL url: String) async throws -> StorageNodeServer.HealthReply {
        let response = try await http.execute(HTTPClientRequest(url: url + "/v1/health"), timeout: .seconds(5))
        try await Self.expect(response, [.ok], node: url)
        return try JSONDecoder().decode(StorageNodeServer.HealthReply.self,
                                        from: Data(try await response.body.collect(upTo: 1 << 16).readableBytesView))
    }

    /// Waits until the node at `url` has followed the ledger to `height` (a node acts on the
    /// ledger it has read, so a bucket created at `height` is unknown to it before then).
    public func waitUntilFollowing(nodeURL url: String, height: UInt64, timeoutSeconds: UInt64 = 10) async throws {
        let deadline = DispatchTime.now().uptimeNanoseconds + timeoutSeconds * 1_000_000_000
        var last = "no answer"
        while DispatchTime.now().uptimeNanoseconds < deadline {
            do {
                let health = try await health(nodeURL: url)
                if health.height >= height { return }
                last = "at height \(health.height)"
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw Failure(node: url, status: nil, message: "did not reach height \(height) in \(timeoutSeconds) s (\(last))")
    }

    /// Asks the node at `url` to run a repair pass (signed by its provider or cluster manager).
    public func repair(nodeURL url: String) async throws -> StorageNodeServer.RepairReport {
        try await post(url, "/v1/repair", as: StorageNodeServer.RepairReport.self)
    }

    /// Asks the node at `url` to report its usage to the ledger now.
    public func reportUsage(nodeURL url: String) async throws {
        _ = try await post(url, "/v1/usage/report", as: UsageReply.self)
    }

    func post<Reply: Decodable>(_ base: String, _ path: String, as: Reply.Type) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        sign(&request, method: "POST", path: path)
        let response = try await http.execute(request, timeout: .seconds(300))
        try await Self.expect(response, [.ok], node: base)
        return try JSONDecoder().decode(Reply.self, from: Data(try await response.body.collect(upTo: 16 << 20).readableBytesView))
    }

    // MARK: - Helpers

    /// The address and size of a file, hashed in one streaming pass.
    public static func address(ofFile path: String) throws -> BlobAddress {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure(node: "-", status: nil, message: "cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = BlobHasher()
        while let data = try handle.read(upToCount: BlobLayout.chunkBytes), !data.isEmpty { try hasher.update(Array(data)) }
        return hasher.finalize()
    }

    func preferred(_ nodes: [NodeKey], _ view: BucketView) -> [NodeKey] {
        nodes.filter { view.statuses[$0] == .active } + nodes.filter { view.statuses[$0] != .active }
    }

    func url(_ node: NodeKey, _ view: BucketView) -> String { view.urls[node] ?? "node \(node)" }
    func blobPath(_ view: BucketView, _ id: ContentID) -> String { "/v1/buckets/\(view.id.rawValue)/blobs/\(id)" }
    func listPath(_ view: BucketView) -> String { "/v1/buckets/\(view.id.rawValue)/blobs" }

    func request(_ method: HTTPMethod, _ view: BucketView, _ id: ContentID, on node: NodeKey) throws -> HTTPClientRequest {
        guard let base = view.urls[node] else { throw Failure(node: "\(node)", status: nil, message: "the node has no URL on the ledger") }
        var request = HTTPClientRequest(url: base + blobPath(view, id))
        request.method = method
        sign(&request, method: method.rawValue, path: blobPath(view, id))
        return request
    }

    func sign(_ request: inout HTTPClientRequest, method: String, path: String) {
        guard let key else { return }
        request.headers.add(name: RequestSignature.headerName,
                            value: RequestSignature.header(key: key, method: method, path: path, timestamp: RequestSignature.nowMilliseconds()))
    }

    /// Throws a `Failure` carrying the node's error message unless the response has one of
    /// `statuses`; the body of a good response is left for the caller to read.
    static func expect(_ response: HTTPClientResponse, _ statuses: [HTTPResponseStatus], node: String) async throws {
        guard !statuses.contains(response.status) else { return }
        let body = (try? await response.body.collect(upTo: 1 << 16)).map { String(buffer: $0) } ?? ""
        throw Failure(node: node, status: Int(response.status.code), message: body)
    }
}

/// A file's bytes in 1 MiB buffers, for streaming uploads without holding the file in memory.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String

    func makeAsyncIterator() -> Iterator { Iterator(handle: FileHandle(forReadingAtPath: path)) }

    struct Iterator: AsyncIteratorProtocol {
        let handle: FileHandle?
        mutating func next() async throws -> ByteBuffer? {
            guard let handle else { throw StorageClient.Failure(node: "-", status: nil, message: "cannot read the file") }
            guard let data = try handle.read(upToCount: BlobLayout.chunkBytes), !data.isEmpty else {
                try? handle.close()
                return nil
            }
            return ByteBuffer(bytes: data)
        }
    }
}
