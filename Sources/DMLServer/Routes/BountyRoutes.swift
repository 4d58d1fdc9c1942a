import DMLCore
import DMLLedger
import Foundation
import Hummingbird
import NIOCore
import SQLKit

/// `/v1/bounties`: create and fund, list with filters, show, the owner's transitions,
/// enrollments, submissions, winners, payout and cancellation. Every write is a ledger
/// transaction signed with the caller's custodial key; the reply names it.
struct BountyRoutes: Sendable {
    let server: APIServer

    func register(on router: Router<APIContext>) {
        let group = router.group("/v1/bounties")
        group.post { request, context in
            let body = try await request.json(CreateBountyBody.self, context: context)
            let draft = try body.draft()
            let submitted = try await server.submit(BountiesCall.create(draft, fund: body.fund ?? true).call, for: try context.requireUser())
            let id = submitted.inclusion.events.lazy.compactMap { event -> UInt64? in
                if case .posted(let id, _, _) = BountiesEvent(event) { id.rawValue } else { nil }
            }.first
            return try reply(WriteView(id: id, transaction: submitted.receipt), status: .created)
        }
        group.get { request, context in try await list(request) }
        group.get("/:id") { _, context in
            let id = try Self.id(context)
            guard let view = await server.ledger.reading({ BountyView(id: id, in: $0) }) else { throw APIError.notFound("bounty \(id.rawValue)") }
            return try reply(view)
        }
        group.post("/:id/fund") { request, context in
            let id = try Self.id(context)
            let body = try await request.json(AmountBody.self, context: context)
            return try await write(.fund(id, amount: try Amounts.parse(body.amount, field: "amount")), id, context)
        }
        let transitions: [(String, @Sendable (Identifier<Bounty>) -> BountiesCall)] = [
            ("open-enrollment", { .openEnrollment($0) }), ("close-enrollment", { .closeEnrollment($0) }),
            ("open-submissions", { .openSubmissions($0) }), ("close-submissions", { .closeSubmissions($0) }),
            ("payout", { .payout($0) }), ("cancel", { .cancel($0) }), ("expire", { .expire($0) }),
            ("enrollments", { .enroll($0) }),
        ]
        for (path, call) in transitions {
            group.post("/:id/\(path)") { _, context in
                let id = try Self.id(context)
                return try await write(call(id), id, context)
            }
        }
        group.post("/:id/submissions") { request, context in
            let id = try Self.id(context)
            let body = try await request.json(SubmissionBody.self, context: context)
            guard let artifact = ContentAddress(bytes: Array(body.artifact.utf8)) else {
                throw APIError.invalid("artifact", "a content address (CID) of 1–\(ContentAddress.bytesMax) bytes")
            }
            return try await write(.submit(id, artifact: artifact, note: body.note ?? ""), id, context)
        }
        group.get("/:id/submissions") { _, context in
            let id = try Self.id(context)
            let viewer = try context.requireUser().account
            let submissions = await server.ledger.reading { state in
                Bounties.bounty(id, in: state) == nil ? nil : Bounties.submissions(of: id, visibleTo: viewer, in: state).map {
                    SubmissionView(participant: $0.0.address, artifact: String(decoding: $0.1.artifact.bytes, as: UTF8.self),
                                   note: $0.1.note, height: $0.1.height)
                }
            }
            guard let submissions else { throw APIError.notFound("bounty \(id.rawValue)") }
            return try reply(submissions)
        }
        group.post("/:id/winners") { request, context in
            let id = try Self.id(context)
            let body = try await request.json(WinnersBody.self, context: context)
            var winners: [AccountID] = []
            for (index, text) in body.winners.enumerated() { winners.append(try UserRoutes.account(text, field: "winners[\(index)]")) }
            return try await write(.award(id, winners: winners), id, context)
        }
    }

    func write(_ call: BountiesCall, _ id: Identifier<Bounty>, _ context: APIContext) async throws -> Response {
        let submitted = try await server.submit(call.call, for: try context.requireUser())
        return try reply(WriteView(id: id.rawValue, transaction: submitted.receipt))
    }

    static func id(_ context: APIContext) throws -> Identifier<Bounty> {
        Identifier(try PathID.parse(context, what: "a bounty id"))
    }

    /// `GET /v1/bounties?status=&q=&owner=&sort=deadline|prize|newest&limit=&offset=`, from the index.
    func list(_ request: Request) async throws -> Response {
        let height = server.indexer.published.load(ordering: .acquiring)
        return try await server.listCache.page(for: request, height: height) { try await render(request) }
    }

    func render(_ request: Request) async throws -> ByteBuffer {
        let limit = try request.query("limit", 20, in: 1...100)
        let offset = try request.query("offset", 0, in: 0...1_000_000)
        let parameters = request.uri.queryParameters
        var conditions: [SQLQueryString] = []
        if let status = parameters["status"].map(String.init) {
            guard BountyView.statusNames.contains(status) else {
                throw APIError.badRequest("request.bad_query", "status must be one of \(BountyView.statusNames.joined(separator: ", "))", field: "status")
            }
            conditions.append("status = \(bind: status)")
        }
        if let text = parameters["q"].map(String.init), !text.isEmpty {
            let pattern = try SearchText.pattern(text, field: "q")
            conditions.append("(LOWER(title) LIKE \(bind: pattern) OR LOWER(description) LIKE \(bind: pattern))")
        }
        if let owner = parameters["owner"].map(String.init) {
            conditions.append("owner = \(bind: try UserRoutes.account(owner, field: "owner").address)")
        }
        let order: String = switch parameters["sort"].map(String.init) ?? "newest" {
        case "newest": "id DESC"
        case "deadline": "submission_end ASC, id ASC"
        case "prize": "prize_pool DESC, id ASC"
        default: throw APIError.badRequest("request.bad_query", "sort must be newest, deadline or prize", field: "sort")
        }
        let clause = SearchText.whereClause(conditions)
        let sql = server.database.sql
        let total = try await sql.raw("SELECT COUNT(*) AS n FROM api_bounties" + clause).first()?.decode(column: "n", as: Int.self) ?? 0
        let rows = try await sql.raw("""
            SELECT id, owner, title, status, prize_pool, funded, submission_end, participants, submissions FROM api_bounties
            """ + clause + " ORDER BY \(unsafeRaw: order) LIMIT \(bind: limit) OFFSET \(bind: offset)").all()
        let items = try rows.map { row in
            BountySummary(id: UInt64(try row.decode(column: "id", as: Int64.self)), owner: try row.decode(column: "owner", as: String.self),
                          title: try row.decode(column: "title", as: String.self), status: try row.decode(column: "status", as: String.self),
                          prizePool: IndexRows.amount(try row.decode(column: "prize_pool", as: String.self)),
                          funded: IndexRows.amount(try row.decode(column: "funded", as: String.self)),
                          submissionEnd: UInt64(try row.decode(column: "submission_end", as: Int64.self)),
                          participants: try row.decode(column: "participants", as: Int.self),
                          submissions: try row.decode(column: "submissions", as: Int.self))
        }
        return try encoded(Page(items: items, total: total, limit: limit, offset: offset))
    }
}
