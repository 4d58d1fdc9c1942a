import DMLCore
import DMLLedger
import DMLNode
@testable import DMLServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

extension APIWorld {
    /// Signs `call` with the genesis admin's key and applies it (the admin is a super-admin).
    func asAdmin(_ call: Call) async throws {
        let nonce = await chain.service.reading { System.nextNonce(of: APIWorld.admin.account, in: $0) }
        let transaction = SignedTransaction(chain: chain.service.chainID, key: APIWorld.admin, nonce: nonce, call: call)
        _ = try await chain.service.submit(transaction).get()
    }

    func give(_ tokens: UInt64, to address: String) async throws {
        try await asAdmin(BalancesCall.transfer(to: try AccountID(address: address), amount: .tokens(tokens)!).call)
    }
}

extension Caller {
    /// Sends raw bytes with their length, as an artifact upload does.
    func upload(_ uri: String, _ bytes: [UInt8], length: Int? = nil, token: String?) async throws -> (status: HTTPResponse.Status, json: [String: Any]) {
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        if let length { headers[.contentLength] = String(length) }
        if let token { headers[.authorization] = "Bearer \(token)" }
        let response = try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
        return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:])
    }

    func download(_ uri: String, token: String) async throws -> (status: HTTPResponse.Status, bytes: [UInt8]) {
        let response = try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"], body: nil)
        return (response.status, Array(response.body.readableBytesView))
    }
}

@Suite("API server: the algorithm marketplace", .serialized)
struct APIMarketplaceTests {
    @Test("upload, publish, review, list with search/tags/sort, purchase, download, versions, proceeds", arguments: Backend.allCases)
    func marketplace(backend: Backend) async throws {
        try await APIWorld.with(backend) { world in
            try await world.test { api in
                let dev = try await api.user("dev@example.org"), buyer = try await api.user("buyer@example.org")
                let moderator = try await api.user("mod@example.org")
                try await world.asAdmin(RolesCall.grant(.moderator, to: try AccountID(address: moderator.account)).call)

                // Upload: signed in, with a length, within the limit; the same bytes have the same address.
                let wasm: [UInt8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00] + (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
                #expect(try await api.upload("/v1/algorithms/artifacts", wasm, length: wasm.count, token: nil).status == .unauthorized)
                // (A missing length, a huge one and a short body are tested on a real socket: APILiveTests.)
                let uploaded = try await api.upload("/v1/algorithms/artifacts", wasm, length: wasm.count, token: dev.token)
                #expect(uploaded.status == .created && uploaded.json["size"] as? Int == wasm.count)
                let cid = try #require(uploaded.json["cid"] as? String)
                #expect(try await api.upload("/v1/algorithms/artifacts", wasm, length: wasm.count, token: buyer.token).json["cid"] as? String == cid)

                // Writes need a user before anything else is looked at; NUL characters are refused by name.
                #expect(try await api.post("/v1/algorithms", ["title": 5]).status == .unauthorized)
                #expect(try await api.post("/v1/algorithms//", ["title": 5]).status == .unauthorized)
                let nul = try await api.callAny(.post, "/v1/users", raw: #"{"email": "a\u0000b@example.org", "password": "long enough"}"#)
                #expect(nul.status == .badRequest && nul.code == "request.nul_character")
                #expect(try await api.get("/v1/algorithms?q=%00").code == "request.nul_character")
                #expect(try await api.get("/v1/ledger/blocks/18446744073709551615").status == .badRequest)

                // Publish: the artifact must be here; fields are checked by the ledger.
                var body: [String: Any] = ["title": "Digit counter", "description": "Counts predicted digits", "tags": ["Vision", "digits"],
                                           "price": "25000000000", "deviceFee": "1000", "artifact": cid]
                var unknown = body
                unknown["artifact"] = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
                #expect(try await api.post("/v1/algorithms", unknown, token: dev.token).status == .unprocessableContent)
                var untitled = body
                untitled["title"] = ""
                #expect(try await api.post("/v1/algorithms", untitled, token: dev.token).code == "marketplace.title_empty")
                let created = try await api.post("/v1/algorithms", body, token: dev.token)
                #expect(created.status == .created && created.object("transaction")["hash"] != nil)
                let id = try #require(created.json["id"] as? Int)
                body["title"] = "Column statistics"
                body["tags"] = ["tabular"]
                body["price"] = "5000000000"
                let second = try #require(try await api.post("/v1/algorithms", body, token: dev.token).json["id"] as? Int)

                // Review: only moderators; pending algorithms are not listed as active.
                #expect(try await api.get("/v1/algorithms").json["total"] as? Int == 0)
                #expect(try await api.get("/v1/algorithms?status=pending_review").json["total"] as? Int == 2)
                let notModerator = try await api.post("/v1/algorithms/\(id)/review", ["decision": "approve"], token: dev.token)
                #expect(notModerator.status == .forbidden && notModerator.code == "auth.forbidden")
                #expect(try await api.post("/v1/algorithms/\(id)/review", ["decision": "maybe"], token: moderator.token).status == .unprocessableContent)
                #expect(try await api.post("/v1/algorithms/\(id)/review", ["decision": "approve"], token: moderator.token).status == .ok)
                #expect(try await api.post("/v1/algorithms/\(second)/review", ["decision": "approve"], token: moderator.token).status == .ok)
                #expect(try await api.post("/v1/algorithms/\(id)/review", ["decision": "approve"], token: moderator.token).code == "marketplace.wrong_status")

                // Lists: search, tags (whole tags, case-insensitive), sort by price, pagination.
                let byPrice = try await api.get("/v1/algorithms?sort=price")
                #expect((byPrice.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [second, id])
                #expect((try await api.get("/v1/algorithms?sort=price_desc&limit=1").json["items"] as? [[String: Any]])?.first?["id"] as? Int == id)
                #expect(try await api.get("/v1/algorithms?tags=vision").json["total"] as? Int == 1)
                #expect(try await api.get("/v1/algorithms?tags=vis").json["total"] as? Int == 0)
                #expect(try await api.get("/v1/algorithms?tags=vision,digits").json["total"] as? Int == 1)
                #expect(try await api.get("/v1/algorithms?q=COLUMN").json["total"] as? Int == 1)
                #expect(try await api.get("/v1/algorithms?creator=\(dev.account)&limit=1&offset=1").json["total"] as? Int == 2)
                #expect(try await api.get("/v1/algorithms?sort=cheapest").status == .badRequest)
                #expect(try await api.get("/v1/algorithms/0").status == .badRequest)
                #expect(try await api.get("/v1/algorithms/999").status == .notFound)

                // Purchase: refused without funds, above the buyer's limit, or by the creator; then paid once.
                #expect(try await api.get("/v1/algorithms/\(id)/artifact", token: buyer.token).status == .forbidden)
                #expect(try await api.post("/v1/algorithms/\(id)/purchase", ["maxPrice": "25000000000"], token: buyer.token).code
                    == "balances.insufficient_balance")
                try await world.give(100, to: buyer.account)
                #expect(try await api.post("/v1/algorithms/\(id)/purchase", ["maxPrice": "1"], token: buyer.token).code == "marketplace.price_above_limit")
                #expect(try await api.post("/v1/algorithms/\(id)/purchase", ["maxPrice": "25000000000"], token: dev.token).status == .forbidden)
                #expect(try await api.post("/v1/algorithms/\(id)/purchase", ["maxPrice": "25000000000"], token: buyer.token).status == .ok)
                #expect(try await api.post("/v1/algorithms/\(id)/purchase", ["maxPrice": "25000000000"], token: buyer.token).code
                    == "marketplace.already_purchased")
                #expect(try await api.get("/v1/ledger/accounts/\(buyer.account)").string("free") == "75000000000")

                // Download: the bytes, counted on the ledger; the viewer's rights are shown.
                let downloaded = try await api.download("/v1/algorithms/\(id)/artifact", token: buyer.token)
                #expect(downloaded.status == .ok && downloaded.bytes == wasm)
                #expect(try await api.download("/v1/algorithms/\(id)/artifact", token: moderator.token).status == .ok)
                let shown = try await api.get("/v1/algorithms/\(id)", token: buyer.token)
                #expect(shown.json["downloads"] as? Int == 1 && shown.json["purchases"] as? Int == 1 && shown.json["viewerMayDownload"] as? Bool == true)
                #expect(shown.string("proceeds") == "25000000000" && shown.string("artifact") == cid)

                // A new version goes back to review; the old one stays downloadable by number.
                let other: [UInt8] = Array("(module)".utf8)
                let otherCID = try #require(try await api.upload("/v1/algorithms/artifacts", other, length: other.count, token: dev.token).json["cid"] as? String)
                #expect(try await api.post("/v1/algorithms/\(id)/versions", ["artifact": otherCID], token: buyer.token).status == .forbidden)
                #expect(try await api.post("/v1/algorithms/\(id)/versions", ["artifact": otherCID], token: dev.token).status == .ok)
                let versioned = try await api.get("/v1/algorithms/\(id)")
                #expect(versioned.string("status") == "pending_review" && (versioned.json["versions"] as? [Any])?.count == 2)
                #expect(try await api.download("/v1/algorithms/\(id)/artifact?version=1", token: buyer.token).bytes == wasm)
                #expect(try await api.download("/v1/algorithms/\(id)/artifact", token: buyer.token).bytes == other)
                #expect(try await api.download("/v1/algorithms/\(id)/artifact?version=9", token: buyer.token).status == .notFound)

                // Price changes by the creator only; proceeds go to the creator once.
                #expect(try await api.callAny(.patch, "/v1/algorithms/\(id)", ["price": "1", "deviceFee": "0"], token: buyer.token).status == .forbidden)
                #expect(try await api.callAny(.patch, "/v1/algorithms/\(id)", ["price": "1", "deviceFee": "0"], token: dev.token).status == .ok)
                #expect(try await api.post("/v1/algorithms/\(id)/withdraw", token: dev.token).status == .ok)
                #expect(try await api.post("/v1/algorithms/\(id)/withdraw", token: dev.token).code == "marketplace.no_proceeds")
                #expect(try await api.get("/v1/ledger/accounts/\(dev.account)").string("free") == "25000000000")
            }
        }
    }
}
