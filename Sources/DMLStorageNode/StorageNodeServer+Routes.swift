import DMLBlobs
import DMLCore
import DMLLedger
import Foundation
import Hummingbird
import NIOCore

extension StorageNodeServer {
    public struct StoredReply: Codable, Sendable, ResponseEncodable {
        public let cid: String
        public let size: UInt64
    }

    public struct HealthReply: Codable, Sendable, ResponseEncodable {
        public let node: String
        public let cluster: UInt64?
        public let status: String?
        public let height: UInt64
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/v1/health") { _, _ in await self.health() }
        router.put("/v1/buckets/:bucket/blobs/:cid") { request, context in
            try await self.put(request, bucket: try context.parameters.require("bucket", as: UInt64.self),
                               cid: try context.parameters.require("cid"))
        }
        router.get("/v1/buckets/:bucket/blobs/:cid") { request, context in
            try await self.get(request, bucket: try context.parameters.require("bucket", as: UInt64.self),
                               cid: try context.parameters.require("cid"), headOnly: false)
        }
        router.head("/v1/buckets/:bucket/blobs/:cid") { request, context in
            try await self.get(request, bucket: try context.parameters.require("bucket", as: UInt64.self),
                               cid: try context.parameters.require("cid"), headOnly: true)
        }
        router.delete("/v1/buckets/:bucket/blobs/:cid") { request, context in
            try await self.delete(request, bucket: try context.parameters.require("bucket", as: UInt64.self),
                                  cid: try context.parameters.require("cid"))
        }
        router.get("/v1/buckets/:bucket/blobs") { request, context in
            try await self.list(request, bucket: try context.parameters.require("bucket", as: UInt64.self))
        }
        router.post("/v1/repair") { request, _ in
            try await self.requireOperator(try self.signer(of: request))
            return await self.repairAll()
        }
        router.post("/v1/usage/report") { request, _ in
            try await self.requireOperator(try self.signer(of: request))
            return UsageReply(queued: try await self.reportUsage())
        }
        return router
    }

    func health() async -> HealthReply {
        let me = key.account
        let (height, node) = await follower.reading { ($0.height, Storage.node(me, in: $0)) }
        return HealthReply(node: me.address, cluster: node?.cluster?.rawValue, status: node?.status?.description, height: height)
    }

    /// Stores an upload under its address, if this node is one of the blob's replicas.
    func put(_ request: Request, bucket: UInt64, cid text: String) async throws -> Response {
        let cid = try Self.parseAddress(text)
        let view = try await view(bucket)
        try requireWriter(try signer(of: request), view)
        try requireRentCovered(view)
        guard view.replicas(of: cid).contains(key.account) else {
            throw StorageNodeError.notReplica("this node is not a replica of \(cid) in bucket \(bucket); write to the nodes the ring names")
        }
        guard let length = request.headers[.contentLength].flatMap(UInt64.init) else { throw StorageNodeError.lengthRequired }
        guard length <= configuration.blobBytesMax else { throw StorageNodeError.tooLarge(bytes: length, max: configuration.blobBytesMax) }
        let store = try store(bucket)
        // Content-addressed: a blob already here is these very bytes, so storing it again adds nothing.
        let reservation = store.contains(cid) ? 0 : length
        try quotas.reserve(reservation, in: bucket, quota: view.quotaBytes) { () throws(StorageNodeError) in try storedBytes(bucket) }
        let pieces = request.body.map { buffer in Array(buffer.readableBytesView) }
        let blob: StoredBlob
        do {
            blob = try await store.put(expected: cid, bytesMax: length, from: pieces)
        } catch {
            quotas.finish(reservation, in: bucket, added: 0)
            throw StorageNodeError.blob(error)
        }
        guard blob.size == length else {
            try? store.delete(cid)
            quotas.finish(reservation, in: bucket, added: 0)
            throw StorageNodeError.blob(.truncated(bytesReceived: blob.size, cause: "the body was shorter than its Content-Length"))
        }
        quotas.finish(reservation, in: bucket, added: reservation)
        return try Self.json(StoredReply(cid: cid.description, size: blob.size), status: .created)
    }

    /// Streams a blob's verified bytes (or, for HEAD, only its length) and counts them as served.
    func get(_ request: Request, bucket: UInt64, cid text: String, headOnly: Bool) async throws -> Response {
        let cid = try Self.parseAddress(text)
        let view = try await view(bucket)
        try requireReader(try signer(of: request), view)
        try requireRentCovered(view)
        let store = try store(bucket)
        let size: UInt64
        let stream: VerifiedBlobStream
        do {
            size = try store.size(of: cid)
            stream = try store.read(cid)
        } catch {
            throw StorageNodeError.blob(error)
        }
        let headers: HTTPFields = [.contentType: "application/octet-stream", .contentLength: String(size)]
        if headOnly { return Response(status: .ok, headers: headers) }
        let usage = self.usage
        let body = ResponseBody(contentLength: Int(size)) { writer in
            for try await piece in stream {
                try await writer.write(ByteBuffer(bytes: piece))
                usage.add(UInt64(piece.count), to: bucket)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    func delete(_ request: Request, bucket: UInt64, cid text: String) async throws -> Response {
        let cid = try Self.parseAddress(text)
        let view = try await view(bucket)
        try requireWriter(try signer(of: request), view)
        let store = try store(bucket)
        do throws(BlobError) {
            let size = try store.size(of: cid)
            try store.delete(cid)
            quotas.removed(size, from: bucket)
        } catch {
            throw StorageNodeError.blob(error)
        }
        return Response(status: .noContent)
    }

    /// What this node holds for the bucket (readers, writers and peer nodes may ask).
    func list(_ request: Request, bucket: UInt64) async throws -> Response {
        let view = try await view(bucket)
        try requireReader(try signer(of: request), view)
        let store = try store(bucket)
        var blobs: [StoredReply] = []
        do throws(BlobError) {
            for id in try store.list() { blobs.append(StoredReply(cid: id.description, size: try store.size(of: id))) }
        } catch {
            throw StorageNodeError.blob(error)
        }
        return try Self.json(blobs, status: .ok)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        let data = try JSONEncoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

struct UsageReply: Codable, Sendable, ResponseEncodable {
    let queued: [Int64]
}
