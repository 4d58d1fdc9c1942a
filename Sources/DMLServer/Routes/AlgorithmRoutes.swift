import DMLBlobs
import DMLCore
import DMLLedger
import Foundation
import Hummingbird
import NIOCore
import SQLKit

/// `/v1/algorithms`: the marketplace. Artifacts are uploaded first (streamed, size-limited,
/// stored under their content address), then published by address; lists come from the index,
/// single algorithms from the ledger's state. Downloads are for the creator, buyers and
/// moderators, and each download by a creator or buyer is counted on the ledger.
struct AlgorithmRoutes: Sendable {
    let server: APIServer

    func register(on router: Router<APIContext>) {
        let group = router.group("/v1/algorithms")
        group.post("/artifacts") { request, context in
            let user = try context.requireUser()
            let stored = try await server.storeArtifact(request)
            try await server.holders.record(stored.id, holder: user.account, source: .upload, now: server.now())
            return try reply(ArtifactView(cid: stored.id.description, size: stored.size), status: .created)
        }
        group.post { request, context in
            let user = try context.requireUser()
            let body = try await request.json(AlgorithmBody.self, context: context)
            let draft = try body.draft(artifact: try await server.heldArtifact(body.artifact, field: "artifact", by: user.account))
            let submitted = try await server.submit(MarketplaceCall.publish(draft).call, for: user)
            let id = submitted.inclusion.events.lazy.compactMap { event -> UInt64? in
                if case .published(let id, _, _) = MarketplaceEvent(event) { id.rawValue } else { nil }
            }.first
            return try reply(WriteView(id: id, transaction: submitted.receipt), status: .created)
        }
        group.get { request, _ in try await list(request) }
        group.get("/:id") { _, context in
            let id = try Self.id(context)
            let viewer = context.user?.account
            guard let view = await server.ledger.reading({ AlgorithmView(id: id, viewer: viewer, in: $0) }) else {
                throw APIError.notFound("algorithm \(id.rawValue)")
            }
            return try reply(view)
        }
        group.patch("/:id") { request, context in
            let id = try Self.id(context)
            let body = try await request.json(PriceBody.self, context: context)
            let call = MarketplaceCall.setPrice(id, price: try Amounts.parse(body.price, field: "price"),
                                                deviceFee: try Amounts.parse(body.deviceFee, field: "deviceFee"))
            return try await write(call, id, context)
        }
        group.post("/:id/versions") { request, context in
            let id = try Self.id(context)
            let body = try await request.json(VersionBody.self, context: context)
            let artifact = try await server.heldArtifact(body.artifact, field: "artifact", by: try context.requireUser().account)
            return try await write(.publishVersion(id, artifact: artifact), id, context)
        }
        group.post("/:id/review") { request, context in
            let id = try Self.id(context)
            let body = try await request.json(ReviewBody.self, context: context)
            try await server.require(.moderator, context.requireUser(), to: "review algorithms")
            let call: MarketplaceCall = switch body.decision {
            case "approve": .approve(id)
            case "return_to_review": .sendToReview(id)
            default: throw APIError.invalid("decision", "approve or return_to_review")
            }
            return try await write(call, id, context)
        }
        group.post("/:id/activate") { _, context in try await write(.activate(try Self.id(context)), try Self.id(context), context) }
        group.post("/:id/deactivate") { _, context in try await write(.deactivate(try Self.id(context)), try Self.id(context), context) }
        group.post("/:id/withdraw") { _, context in try await write(.withdrawProceeds(try Self.id(context)), try Self.id(context), context) }
        group.post("/:id/purchase") { request, context in
            let id = try Self.id(context)
            let body = try await request.json(PurchaseBody.self, context: context)
            return try await write(.purchase(id, maxPrice: try Amounts.parse(body.maxPrice, field: "maxPrice")), id, context)
        }
        group.get("/:id/artifact") { request, context in try await download(request, context) }
    }

    func write(_ call: MarketplaceCall, _ id: Identifier<Algorithm>, _ context: APIContext) async throws -> Response {
        let submitted = try await server.submit(call.call, for: try context.requireUser())
        return try reply(WriteView(id: id.rawValue, transaction: submitted.receipt))
    }

    static func id(_ context: APIContext) throws -> Identifier<Algorithm> {
        Identifier(try PathID.parse(context, what: "an algorithm id"))
    }

    /// Streams a version's artifact to the creator, a buyer or a moderator; a creator's or
    /// buyer's download is counted on the ledger first (custodial users; self-custody users
    /// record it themselves).
    func download(_ request: Request, _ context: APIContext) async throws -> Response {
        let id = try Self.id(context)
        let user = try context.requireUser()
        let wanted = try request.query("version", 0, in: 0...Int(UInt32.max))
        let access = await server.ledger.reading { state -> (artifact: ContentAddress?, creator: AccountID, buyerOrCreator: Bool, moderator: Bool)? in
            guard let algorithm = Marketplace.algorithm(id, in: state) else { return nil }
            let artifact = wanted == 0 ? algorithm.draft.artifact : Marketplace.version(id, UInt32(wanted), in: state)?.artifact
            return (artifact, algorithm.creator, algorithm.creator == user.account || Marketplace.purchase(id, by: user.account, in: state) != nil,
                    Roles.has(.moderator, user.account, in: state))
        }
        guard let access else { throw APIError.notFound("algorithm \(id.rawValue)") }
        guard access.buyerOrCreator || access.moderator else {
            throw APIError(.forbidden, "marketplace.not_allowed_to_download", "buy algorithm \(id.rawValue) before downloading it")
        }
        guard let address = access.artifact else { throw APIError.notFound("version \(wanted) of algorithm \(id.rawValue)") }
        guard let cid = try? ContentID(bytes: address.bytes), server.artifacts.contains(cid) else {
            throw APIError.notFound("the artifact of algorithm \(id.rawValue) on this server")
        }
        // A listing serves only bytes its creator holds: naming a CID is not owning it.
        guard try await server.holders.holds(cid, access.creator) else {
            throw APIError(.forbidden, "artifacts.not_entitled",
                           "algorithm \(id.rawValue) names an artifact its creator never uploaded here; it serves nothing")
        }
        if access.buyerOrCreator {
            do { _ = try await server.submit(MarketplaceCall.recordDownload(id).call, for: user) } catch let error as APIError where error.code == "users.self_custody" {}
        }
        return try server.streamArtifact(cid)
    }

    /// `GET /v1/algorithms?q=&tags=a,b&status=&creator=&sort=newest|oldest|price|price_desc|downloads&limit=&offset=`.
    func list(_ request: Request) async throws -> Response {
        let height = server.indexer.published.load(ordering: .acquiring)
        return try await server.listCache.page(for: request, height: height) { try await render(request) }
    }

    func render(_ request: Request) async throws -> ByteBuffer {
        let limit = try request.query("limit", 20, in: 1...100)
        let offset = try request.query("offset", 0, in: 0...1_000_000)
        let parameters = request.uri.queryParameters
        var conditions: [SQLQueryString] = []
        let status = parameters["status"].map(String.init) ?? "active"
        guard status == "any" || AlgorithmView.statusNames.contains(status) else {
            throw APIError.badRequest("request.bad_query", "status must be any or one of \(AlgorithmView.statusNames.joined(separator: ", "))", field: "status")
        }
        if status != "any" { conditions.append("status = \(bind: status)") }
        if let text = parameters["q"].map(String.init), !text.isEmpty {
            let pattern = try SearchText.pattern(text, field: "q")
            conditions.append("(LOWER(title) LIKE \(bind: pattern) OR LOWER(description) LIKE \(bind: pattern) OR tags LIKE \(bind: pattern))")
        }
        if let text = parameters["tags"].map(String.init), !text.isEmpty {
            let tags = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            guard tags.count <= Marketplace.tagsMax else { throw APIError.badRequest("request.bad_query", "at most \(Marketplace.tagsMax) tags", field: "tags") }
            for tag in tags { conditions.append("tags LIKE \(bind: "%|" + SearchText.literal(tag) + "|%")") }
        }
        if let creator = parameters["creator"].map(String.init) {
            conditions.append("creator = \(bind: try UserRoutes.account(creator, field: "creator").address)")
        }
        let order: String = switch parameters["sort"].map(String.init) ?? "newest" {
        case "newest": "id DESC"
        case "oldest": "id ASC"
        case "price": "price ASC, id ASC"
        case "price_desc": "price DESC, id ASC"
        case "downloads": "downloads DESC, id ASC"
        default: throw APIError.badRequest("request.bad_query", "sort must be newest, oldest, price, price_desc or downloads", field: "sort")
        }
        let clause = SearchText.whereClause(conditions)
        let sql = server.database.sql
        let total = try await sql.raw("SELECT COUNT(*) AS n FROM api_algorithms" + clause).first()?.decode(column: "n", as: Int.self) ?? 0
        let rows = try await sql.raw("""
            SELECT id, creator, title, tags, status, price, device_fee, version, purchases, downloads FROM api_algorithms
            """ + clause + " ORDER BY \(unsafeRaw: order) LIMIT \(bind: limit) OFFSET \(bind: offset)").all()
        let items = try rows.map { row in
            AlgorithmSummary(id: UInt64(try row.decode(column: "id", as: Int64.self)), creator: try row.decode(column: "creator", as: String.self),
                             title: try row.decode(column: "title", as: String.self),
                             tags: try row.decode(column: "tags", as: String.self).split(separator: "|").map(String.init),
                             status: try row.decode(column: "status", as: String.self),
                             price: IndexRows.amount(try row.decode(column: "price", as: String.self)),
                             deviceFee: IndexRows.amount(try row.decode(column: "device_fee", as: String.self)),
                             version: UInt32(try row.decode(column: "version", as: Int64.self)),
                             purchases: UInt64(try row.decode(column: "purchases", as: Int64.self)),
                             downloads: UInt64(try row.decode(column: "downloads", as: Int64.self)))
        }
        return try encoded(Page(items: items, total: total, limit: limit, offset: offset))
    }
}
