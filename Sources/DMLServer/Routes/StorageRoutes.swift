import DMLCore
import DMLLedger
import Foundation
import Hummingbird

/// `/v1/storage`: the storage network's contract as the ledger keeps it — nodes, clusters with
/// their rings, buckets with their rent, and each account's deposit and bond — read from the
/// ledger's state, plus the money calls a custodial user makes: create a cluster or a bucket,
/// allocate, settle, distribute, deposit and withdraw.
///
/// Not here: the node calls. `createNode` names a node by its own key (the provider registers the
/// address `dml storage-node` prints) and `reportUsage` must be signed by that node key, so node
/// operators use `dml storage-node` / `dml storage` and sign their transactions themselves
/// (`POST /v1/ledger/transactions`). Blobs are stored on the nodes, never through this API.
///
/// Amounts are decimal strings of base units; rents and rates are decimal strings of USD units
/// (10⁻⁹ USD); ring tokens are decimal strings (they exceed JSON's exact integers); times are
/// Unix milliseconds.
struct StorageRoutes: Sendable {
    let server: APIServer

    func register(on router: Router<APIContext>) {
        let group = router.group("/v1/storage")
        group.get("/nodes") { request, _ in try await nodes(request) }
        group.get("/nodes/:key") { _, context in
            let key = try UserRoutes.account(try context.parameters.require("key"), field: "key")
            let view = await server.ledger.reading { state -> StorageNodeView? in
                Storage.node(key, in: state).map { StorageNodeView(key: key, node: $0, detail: true, in: state) }
            }
            guard let view else { throw APIError.notFound("storage node \(key.address)") }
            return try reply(view)
        }
        group.get("/clusters") { request, _ in try await clusters(request) }
        group.get("/clusters/:id") { _, context in
            let id = try Self.clusterID(context)
            guard let view = await server.ledger.reading({ StorageClusterView(id: id, detail: true, in: $0) }) else {
                throw APIError.notFound("cluster \(id.rawValue)")
            }
            return try reply(view)
        }
        group.get("/buckets") { request, context in try await buckets(request, context) }
        group.get("/buckets/:id") { _, context in
            let id = try Self.bucketID(context)
            let viewer = context.user?.account
            guard let view = await server.ledger.reading({ StorageBucketView(id: id, viewer: viewer, detail: true, in: $0) }) else {
                throw APIError.notFound("bucket \(id.rawValue)")
            }
            return try reply(view)
        }
        // 404 for an account that never deposited or owned a bucket.
        group.get("/accounts/:address") { _, context in
            let account = try UserRoutes.account(try context.parameters.require("address"), field: "address")
            guard let view = await server.ledger.reading({ StorageAccountView(account: account, in: $0) }) else {
                throw APIError.notFound("storage account \(account.address)")
            }
            return try reply(view)
        }

        group.post("/clusters") { request, context in
            let body = try await request.json(CreateClusterBody.self, context: context)
            let call = StorageCall.createCluster(ClusterParams(replicationMax: body.replicationMax, description: body.description ?? ""),
                                                 resourcePerVNode: body.resourcePerVNode)
            let submitted = try await server.submit(call.call, for: try context.requireUser())
            let id = submitted.inclusion.events.lazy.compactMap { event -> UInt64? in
                if case .clusterCreated(let id, _, _) = StorageEvent(event) { id.rawValue } else { nil }
            }.first
            return try reply(WriteView(id: id, transaction: submitted.receipt), status: .created)
        }
        group.post("/clusters/:id/distribute") { _, context in
            let id = try Self.clusterID(context)
            return try await write(.distributeRevenues(id), id: id.rawValue, context)
        }
        group.post("/buckets") { request, context in
            let body = try await request.json(CreateBucketBody.self, context: context)
            guard body.cluster > 0 else { throw APIError.invalid("cluster", "a cluster id is a positive whole number") }
            let owner = try body.owner.map { try UserRoutes.account($0, field: "owner") }
            let call = StorageCall.createBucket(Identifier(body.cluster),
                                                BucketParams(replication: body.replication ?? 1, description: body.description ?? ""),
                                                owner: owner)
            let submitted = try await server.submit(call.call, for: try context.requireUser())
            let id = submitted.inclusion.events.lazy.compactMap { event -> UInt64? in
                if case .bucketCreated(let id, _, _) = StorageEvent(event) { id.rawValue } else { nil }
            }.first
            return try reply(WriteView(id: id, transaction: submitted.receipt), status: .created)
        }
        group.post("/buckets/:id/allocate") { request, context in
            let id = try Self.bucketID(context)
            let body = try await request.json(AllocateBody.self, context: context)
            return try await write(.allocate(id, resource: body.resource), id: id.rawValue, context)
        }
        group.post("/buckets/:id/settle") { _, context in
            let id = try Self.bucketID(context)
            return try await write(.settleBucket(id), id: id.rawValue, context)
        }
        group.post("/deposits") { request, context in
            let body = try await request.json(AmountBody.self, context: context)
            return try await write(.deposit(try Amounts.parse(body.amount, field: "amount")), id: nil, context)
        }
        group.post("/withdrawals") { request, context in
            let body = try await request.json(AmountBody.self, context: context)
            return try await write(.withdraw(try Amounts.parse(body.amount, field: "amount")), id: nil, context)
        }
    }

    func write(_ call: StorageCall, id: UInt64?, _ context: APIContext) async throws -> Response {
        let submitted = try await server.submit(call.call, for: try context.requireUser())
        return try reply(WriteView(id: id, transaction: submitted.receipt))
    }

    static func clusterID(_ context: APIContext) throws -> Identifier<StorageCluster> {
        Identifier(try PathID.parse(context, what: "a cluster id"))
    }

    static func bucketID(_ context: APIContext) throws -> Identifier<StorageBucket> {
        Identifier(try PathID.parse(context, what: "a bucket id"))
    }

    /// `GET /v1/storage/nodes?provider=&status=adding|active|deleting|offline&limit=&offset=`, in key order.
    func nodes(_ request: Request) async throws -> Response {
        let limit = try request.query("limit", 20, in: 1...100)
        let offset = try request.query("offset", 0, in: 0...1_000_000)
        let parameters = request.uri.queryParameters
        let provider = try parameters["provider"].map { try UserRoutes.account(String($0), field: "provider") }
        let status = try parameters["status"].map { try StorageNames.status(String($0)) }
        let page = await server.ledger.reading { state -> Page<StorageNodeView> in
            let found = Storage.nodes(offset: offset, limit: limit, provider: provider, status: status, in: state)
            return Page(items: found.page.map { StorageNodeView(key: $0.0, node: $0.1, detail: false, in: state) },
                        total: found.total, limit: limit, offset: offset)
        }
        return try reply(page)
    }

    /// `GET /v1/storage/clusters?manager=&limit=&offset=`, in id order.
    func clusters(_ request: Request) async throws -> Response {
        let limit = try request.query("limit", 20, in: 1...100)
        let offset = try request.query("offset", 0, in: 0...1_000_000)
        let manager = try request.uri.queryParameters["manager"].map { try UserRoutes.account(String($0), field: "manager") }
        let page = await server.ledger.reading { state -> Page<StorageClusterView> in
            let found = Storage.clusters(offset: offset, limit: limit, manager: manager, in: state)
            return Page(items: found.page.map { StorageClusterView(id: $0.0, cluster: $0.1, detail: false, in: state) },
                        total: found.total, limit: limit, offset: offset)
        }
        return try reply(page)
    }

    /// `GET /v1/storage/buckets?owner=&limit=&offset=`, in id order.
    func buckets(_ request: Request, _ context: APIContext) async throws -> Response {
        let limit = try request.query("limit", 20, in: 1...100)
        let offset = try request.query("offset", 0, in: 0...1_000_000)
        let owner = try request.uri.queryParameters["owner"].map { try UserRoutes.account(String($0), field: "owner") }
        let viewer = context.user?.account
        let page = await server.ledger.reading { state -> Page<StorageBucketView> in
            let found = Storage.buckets(offset: offset, limit: limit, owner: owner, in: state)
            return Page(items: found.page.map { StorageBucketView(id: $0.0, bucket: $0.1, viewer: viewer, detail: false, in: state) },
                        total: found.total, limit: limit, offset: offset)
        }
        return try reply(page)
    }
}
