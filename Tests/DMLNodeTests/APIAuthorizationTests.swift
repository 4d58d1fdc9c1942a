import DMLCore
import DMLLedger
import DMLNode
@testable import DMLServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Who may do what through the API: for each guarded action, the actors allowed succeed, every
/// other signed-in actor gets 403, and an anonymous caller gets 401. Each attempt starts from a
/// freshly made entity, so an allowed actor is never refused for state another one changed.
@Suite("API server: the authorization matrix", .serialized)
struct APIAuthorizationTests {
    enum Actor: String, CaseIterable, Sendable { case anonymous, owner, other, moderator }

    struct Actors: Sendable {
        let tokens: [Actor: String]
        let accounts: [Actor: String]
    }

    struct Row: Sendable {
        let action: String
        let allowed: Set<Actor>
        let method: HTTPRequest.Method
        let body: [String: String]
        /// Makes a fresh entity as its owner; returns the URI to act on.
        let setup: @Sendable (Caller, Actors) async throws -> String
    }

    static func bounty(_ api: Caller, _ actors: Actors) async throws -> Int {
        let now = LedgerService.wallClockMilliseconds()
        let created = try await api.post("/v1/bounties", ["title": "Matrix", "description": "d", "prizes": ["1000"],
                                                          "enrollmentEnd": now + 3_600_000, "submissionEnd": now + 7_200_000,
                                                          "evaluationDeadline": now + 10_800_000], token: actors.tokens[.owner])
        return try #require(created.json["id"] as? Int)
    }

    static func algorithm(_ api: Caller, _ actors: Actors, approved: Bool) async throws -> Int {
        let bytes = Array("matrix artifact \(UUID())".utf8)
        let cid = try #require(try await api.upload("/v1/algorithms/artifacts", bytes, length: bytes.count, token: actors.tokens[.owner]).json["cid"] as? String)
        let created = try await api.post("/v1/algorithms", ["title": "Matrix", "description": "d", "price": "1000", "artifact": cid],
                                          token: actors.tokens[.owner])
        let id = try #require(created.json["id"] as? Int)
        if approved {
            #expect(try await api.post("/v1/algorithms/\(id)/review", ["decision": "approve"], token: actors.tokens[.moderator]).status == .ok)
        }
        return id
    }

    static let rows: [Row] = [
        Row(action: "open a bounty's enrollment", allowed: [.owner, .moderator], method: .post, body: [:]) { api, actors in
            "/v1/bounties/\(try await bounty(api, actors))/open-enrollment"
        },
        Row(action: "cancel a bounty", allowed: [.owner, .moderator], method: .post, body: [:]) { api, actors in
            "/v1/bounties/\(try await bounty(api, actors))/cancel"
        },
        Row(action: "see a bounty's submissions (each their own)", allowed: [.owner, .other, .moderator], method: .get, body: [:]) { api, actors in
            "/v1/bounties/\(try await bounty(api, actors))/submissions"
        },
        Row(action: "review an algorithm", allowed: [.moderator], method: .post, body: ["decision": "approve"]) { api, actors in
            "/v1/algorithms/\(try await algorithm(api, actors, approved: false))/review"
        },
        Row(action: "change an algorithm's price", allowed: [.owner, .moderator], method: .patch, body: ["price": "5", "deviceFee": "0"]) { api, actors in
            "/v1/algorithms/\(try await algorithm(api, actors, approved: false))"
        },
        Row(action: "deactivate an algorithm", allowed: [.owner, .moderator], method: .post, body: [:]) { api, actors in
            "/v1/algorithms/\(try await algorithm(api, actors, approved: true))/deactivate"
        },
        Row(action: "download an unbought algorithm", allowed: [.owner, .moderator], method: .get, body: [:]) { api, actors in
            "/v1/algorithms/\(try await algorithm(api, actors, approved: true))/artifact"
        },
        Row(action: "publish a new version", allowed: [.owner], method: .post, body: [:]) { api, actors in
            let id = try await algorithm(api, actors, approved: true)
            let bytes = Array("next version \(UUID())".utf8)
            let cid = try #require(try await api.upload("/v1/algorithms/artifacts", bytes, length: bytes.count, token: actors.tokens[.owner]).json["cid"] as? String)
            return "/v1/algorithms/\(id)/versions?artifact=\(cid)"
        },
        Row(action: "blacklist on a voucher hub", allowed: [.owner], method: .post, body: [:]) { api, actors in
            let hub = try #require(try await api.post("/v1/vouchers/hubs", ["feePercent": 5], token: actors.tokens[.owner]).json["id"] as? Int)
            return "/v1/vouchers/hubs/\(hub)/blacklist"
        },
        Row(action: "change one's own profile", allowed: [.owner, .other, .moderator], method: .patch, body: ["bio": "hello"]) { _, _ in
            "/v1/users/me"
        },
    ]

    @Test("every guarded action: the allowed succeed, other users get 403, the anonymous 401")
    func matrix() async throws {
        try await APIWorld.with(.sqlite) { world in
            try await world.test { api in
                var tokens: [Actor: String] = [:], accounts: [Actor: String] = [:]
                for actor in Actor.allCases where actor != .anonymous {
                    let user = try await api.user("\(actor.rawValue)@example.org")
                    tokens[actor] = user.token
                    accounts[actor] = user.account
                    try await world.give(1_000, to: user.account)
                }
                try await world.asAdmin(RolesCall.grant(.moderator, to: try AccountID(address: try #require(accounts[.moderator]))).call)
                let actors = Actors(tokens: tokens, accounts: accounts)
                for row in Self.rows {
                    for actor in Actor.allCases {
                        var uri = try await row.setup(api, actors)
                        var body: [String: Any] = row.body
                        // Bodies that name a fresh artifact or account are filled in here.
                        if let range = uri.range(of: "?artifact=") {
                            body["artifact"] = String(uri[range.upperBound...])
                            uri = String(uri[..<range.lowerBound])
                        }
                        if row.action.hasPrefix("blacklist") { body["account"] = accounts[.other] }
                        let reply = try await api.callAny(row.method, uri, row.method == .get ? nil : body, token: tokens[actor])
                        let expected: String = actor == .anonymous ? "401" : row.allowed.contains(actor) ? "2xx" : "403"
                        let got = (200..<300).contains(reply.status.code) ? "2xx" : String(reply.status.code)
                        #expect(got == expected, "\(row.action) as \(actor.rawValue): \(reply.status.code) \(reply.code ?? "")")
                    }
                }
            }
        }
    }
}
