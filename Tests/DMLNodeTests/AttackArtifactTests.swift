import DMLBlobs
import DMLCore
import DMLLedger
import DMLNode
import DMLSandbox
@testable import DMLServer
import Foundation
import Testing

/// Attacks on paid artifacts, played through the API and self-signed transactions: knowing a
/// CID (listings, jobs and events all show them) must never be enough to read its bytes.
@Suite("Attacks: paid artifacts without paying", .serialized)
struct AttackArtifactTests {
    /// Signs `call` with `key` and posts it to `POST /v1/ledger/transactions`, as any client may.
    static func selfSigned(_ call: Call, key: AccountKey, world: APIWorld, api: Caller) async throws -> Caller.Reply {
        let nonce = await world.chain.service.reading { System.nextNonce(of: key.account, in: $0) }
        let transaction = SignedTransaction(chain: world.chain.service.chainID, key: key, nonce: nonce, call: call)
        return try await api.post("/v1/ledger/transactions", ["transaction": Hex.encode(transaction.canonicalBytes)])
    }

    @Test("a listing that names someone else's CID is refused, or serves nothing when signed by hand; buyers still get the real one",
          arguments: Backend.allCases)
    func relistingAForeignArtifact(backend: Backend) async throws {
        try await APIWorld.with(backend) { world in
            try await world.test { api in
                let dev = try await api.user("dev@example.org"), buyer = try await api.user("buyer@example.org")
                let thief = try await api.user("thief@example.org"), moderator = try await api.user("mod@example.org")
                try await world.asAdmin(RolesCall.grant(.moderator, to: try AccountID(address: moderator.account)).call)
                for account in [buyer.account, thief.account] { try await world.give(10, to: account) }
                let secret: [UInt8] = Array("the paid algorithm's bytes".utf8) + (0..<4_096).map { UInt8(truncatingIfNeeded: $0 &* 7) }
                let uploaded = try await api.upload("/v1/algorithms/artifacts", secret, length: secret.count, token: dev.token)
                let cid = try #require(uploaded.json["cid"] as? String)
                let listing: [String: Any] = ["title": "Paid", "description": "d", "tags": ["t"], "price": "1", "deviceFee": "0", "artifact": cid]
                let original = try #require(try await api.post("/v1/algorithms", listing, token: dev.token).json["id"] as? Int)
                #expect(try await api.post("/v1/algorithms/\(original)/review", ["decision": "approve"], token: moderator.token).status == .ok)
                // The CID is public.
                #expect(try await api.get("/v1/algorithms/\(original)").string("artifact") == cid)

                // Through the API: a thief's listing or version naming it is refused by name.
                let copied = try await api.post("/v1/algorithms", listing, token: thief.token)
                #expect(copied.status == .forbidden && copied.code == "artifacts.not_holder", "\(copied.json)")
                let own: [UInt8] = Array("the thief's own bytes".utf8)
                let ownCID = try #require(try await api.upload("/v1/algorithms/artifacts", own, length: own.count, token: thief.token).json["cid"] as? String)
                var ownListing = listing
                ownListing["artifact"] = ownCID
                let thiefs = try #require(try await api.post("/v1/algorithms", ownListing, token: thief.token).json["id"] as? Int)
                let version = try await api.post("/v1/algorithms/\(thiefs)/versions", ["artifact": cid], token: thief.token)
                #expect(version.status == .forbidden && version.code == "artifacts.not_holder", "\(version.json)")

                // By hand: a self-custody thief signs the listing itself; the ledger takes it, the server serves nothing.
                let handKey = AccountKey.insecureDerived(from: "artifact-thief-by-hand")
                try await world.give(10, to: handKey.account.address)
                let handToken = try await api.device(handKey)
                let parsed = try #require(ContentID(cid))
                let address = try #require(ContentAddress(bytes: parsed.bytes))
                let draft = AlgorithmDraft(title: "Copy", description: "d", dataRequired: "", tags: [], price: .zero, deviceFee: .zero,
                                           artifact: address)
                let signed = try await Self.selfSigned(MarketplaceCall.publish(draft).call, key: handKey, world: world, api: api)
                #expect(signed.status == .created, "\(signed.json)")
                let byHand = await world.chain.service.reading { Marketplace.algorithms(by: handKey.account, offset: 0, limit: 10, in: $0) }
                let handListing = try #require(byHand.page.first?.0.rawValue)
                let stolen = try await api.download("/v1/algorithms/\(handListing)/artifact", token: handToken)
                #expect(stolen.status == .forbidden && String(decoding: stolen.bytes, as: UTF8.self).contains("artifacts.not_entitled"))
                #expect(!String(decoding: stolen.bytes, as: UTF8.self).contains("the paid algorithm's bytes"))
                // Nor does a moderator get the bytes through the copy.
                #expect(try await api.download("/v1/algorithms/\(handListing)/artifact", token: moderator.token).status == .forbidden)

                // Honest users go on: the buyer pays and downloads the real bytes; the creator too.
                let purchase = try await api.post("/v1/algorithms/\(original)/purchase", ["maxPrice": "1"], token: buyer.token)
                #expect(purchase.status == .ok, "\(purchase.json)")
                let bought = try await api.download("/v1/algorithms/\(original)/artifact", token: buyer.token)
                #expect(bought.status == .ok && bought.bytes == secret)
                #expect(try await api.download("/v1/algorithms/\(original)/artifact", token: dev.token).bytes == secret)
                // The thief never paid and never got the bytes.
                #expect(try await api.download("/v1/algorithms/\(original)/artifact", token: thief.token).status == .forbidden)
            }
        }
    }

    @Test("a self-signed job naming a bought listing's package gets no lease and serves no package; a job through the API runs",
          arguments: Backend.allCases)
    func selfSignedJobWithAForeignPackage(backend: Backend) async throws {
        let package = try await ExampleAlgorithms.package("column-stats")
        try await APIWorld.with(backend) { world in
            try await world.test { api in
                let dev = try await api.user("dev@example.org"), moderator = try await api.user("mod@example.org")
                try await world.asAdmin(RolesCall.grant(.moderator, to: try AccountID(address: moderator.account)).call)
                try await world.give(10, to: dev.account)
                let algorithm = try await api.publish(package, developer: dev.token, moderator: moderator.token)
                let cid = try #require(try await api.get("/v1/algorithms/\(algorithm)").string("artifact"))
                let parsed = try #require(ContentID(cid))
                let address = try #require(ContentAddress(bytes: parsed.bytes))

                // The thief signs a job on the package with a reward of one base unit.
                let thief = AccountKey.insecureDerived(from: "job-package-thief")
                try await world.give(1, to: thief.account.address)
                let thiefToken = try await api.device(thief)
                let draft = JobDraft(algorithm: package.address, artifact: address, devices: 1, rewardPerDevice: Amount(baseUnits: 1),
                                     deadline: LedgerService.wallClockMilliseconds() + 3_600_000, validator: world.server.jobs.validator.account)
                let created = try await Self.selfSigned(JobsCall.create(draft).call, key: thief, world: world, api: api)
                #expect(created.status == .created, "\(created.json)")
                let job = await world.chain.service.reading { Jobs.lastJob(in: $0) }
                let asRequester = try await api.download("/v1/jobs/\(job)/package", token: thiefToken)
                #expect(asRequester.status == .forbidden && String(decoding: asRequester.bytes, as: UTF8.self).contains("artifacts.not_entitled"))
                // A sybil device of the thief's gets no lease on it, so no package either.
                let sybil = try await api.device(AccountKey.insecureDerived(from: "job-package-sybil"))
                #expect(try await api.post("/v1/jobs/work", [:], token: sybil).status == .noContent)
                #expect(try await api.download("/v1/jobs/\(job)/package", token: sybil).status == .forbidden)

                // The creator's own job, made through the API, is leased and its package served.
                let body: [String: Any] = ["algorithm": algorithm, "devices": 1, "rewardPerDevice": "1",
                                           "deadlineMilliseconds": LedgerService.wallClockMilliseconds() + 3_600_000]
                let honest = try #require(try await api.post("/v1/jobs", body, token: dev.token).json["id"] as? Int)
                let work = try await api.post("/v1/jobs/work", [:], token: sybil)
                #expect(work.status == .ok && work.json["job"] as? Int == honest, "\(work.json)")
                #expect(try await api.download("/v1/jobs/\(honest)/package", token: sybil).bytes == package.bytes)
            }
        }
    }
}
