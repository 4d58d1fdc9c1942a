import DMLCore
import DMLLedger
import DMLNode
@testable import DMLServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

extension APIWorld {
    /// Signs `call` with `key` (a provider's or a node operator's own key, as `dml` would) and
    /// applies it; returns where it landed.
    @discardableResult
    func applySigned(_ call: Call, by key: AccountKey) async throws -> LedgerService.Inclusion {
        try await chain.submit(call, as: key).get()
    }

    /// Adds blocks (transfers to a bystander) until the head is at least `height`.
    func advance(to height: UInt64) async throws {
        let bystander = AccountKey.insecureDerived(from: "api-resource-clock").account.address
        while await chain.service.head.height < height { try await give(1, to: bystander) }
    }
}

extension Caller {
    /// The timestamp of the block that holds a write's transaction (`transaction.height` in its reply).
    func blockTime(of write: Reply) async throws -> UInt64 {
        let height = try #require(write.object("transaction")["height"] as? Int, "\(write.status) \(write.json)")
        let block = try await get("/v1/ledger/blocks/\(height)")
        return try #require((block.json["timestampMilliseconds"] as? Int).map { UInt64($0) }, "\(block.status) \(block.json)")
    }

    /// An account's free balance in base units, through `/v1/ledger/accounts/:address`.
    func free(_ address: String) async throws -> UInt64 {
        let account = try await get("/v1/ledger/accounts/\(address)")
        return try #require(account.string("free").flatMap { UInt64($0) })
    }
}

@Suite("API server: tasks, storage and vouchers", .serialized)
struct APIResourceTests {
    static let dml: UInt64 = 1_000_000_000

    @Test("tasks: escrowed creation, assignment with stake, results, manual validation, settlement and withdrawal after expiry",
          arguments: Backend.allCases)
    func tasks(backend: Backend) async throws {
        try await APIWorld.with(backend) { world in
            let dml = Self.dml
            try await world.test { api in
                let ann = try await api.user("ann@example.org"), bob = try await api.user("bob@example.org")
                let cat = try await api.user("cat@example.org")
                try await world.give(100, to: ann.account)
                try await world.give(10, to: bob.account)
                try await world.give(10, to: cat.account)
                let expiry = await world.chain.service.head.height + 40

                // Creation: signed in, a known kind, a question, a valid amount; the rewards are escrowed.
                let body: [String: Any] = [
                    "kind": ["type": "data_annotation", "annotationType": "image", "files": ["ipfs://birds/1.png", "ipfs://birds/2.png"],
                             "filesStorage": "ipfs", "credentials": "read-token"] as [String: Any],
                    "question": "Which bird is this?", "rewardPerResult": "10000000000", "maxAssignments": 2, "expiresAtHeight": expiry,
                    "validation": ["strategy": "manual_accept"], "stakePerAssignment": "1000000000",
                ]
                #expect(try await api.post("/v1/tasks", body).status == .unauthorized)
                var bad = body
                bad["kind"] = ["type": "bogus"]
                let badKind = try await api.post("/v1/tasks", bad, token: ann.token)
                #expect(badKind.status == .unprocessableContent && badKind.object("details")["field"] as? String == "kind.type")
                bad = body
                bad["question"] = nil
                let noQuestion = try await api.post("/v1/tasks", bad, token: ann.token)
                #expect(noQuestion.status == .badRequest && noQuestion.object("details")["field"] as? String == "question")
                bad = body
                bad["kind"] = ["type": "data_annotation", "annotationType": "image", "files": [String](), "filesStorage": "ipfs"] as [String: Any]
                #expect(try await api.post("/v1/tasks", bad, token: ann.token).code == "tasks.missing_annotation_files")
                bad = body
                bad["rewardPerResult"] = "-1"
                #expect(try await api.post("/v1/tasks", bad, token: ann.token).status == .unprocessableContent)
                bad = body
                bad["validation"] = ["strategy": "custom_accept"]
                #expect(try await api.post("/v1/tasks", bad, token: ann.token).status == .unprocessableContent)
                let created = try await api.post("/v1/tasks", body, token: ann.token)
                #expect(created.status == .created && created.object("transaction")["hash"] != nil)
                let id = try #require(created.json["id"] as? Int)
                #expect(try await api.free(ann.account) == 80 * dml)
                let second = try await api.post("/v1/tasks", [
                    "kind": ["type": "model_contribution", "script": ["path": "ipfs://scripts/train.py", "storage": "ipfs"]] as [String: Any],
                    "question": "Train on your own photos", "rewardPerResult": "1000000000", "maxAssignments": 1, "expiresAtHeight": expiry,
                    "validation": ["strategy": "auto_accept"],
                ] as [String: Any], token: ann.token)
                let other = try #require(second.json["id"] as? Int)
                #expect(try await api.free(ann.account) == 79 * dml)

                // Reading: the task from the ledger; credentials only for its creator and workers.
                let shown = try await api.get("/v1/tasks/\(id)", token: ann.token)
                #expect(shown.string("status") == "created" && shown.string("rewardsHeld") == "20000000000")
                #expect(shown.object("validation")["strategy"] as? String == "manual_accept" && shown.json["acceptingWork"] as? Bool == true)
                #expect(shown.object("kind")["type"] as? String == "data_annotation" && shown.object("kind")["credentials"] as? String == "read-token")
                #expect(try await api.get("/v1/tasks/\(id)").object("kind")["credentials"] == nil)
                #expect(try await api.get("/v1/tasks/\(other)").object("kind")["script"] != nil)
                #expect(try await api.get("/v1/tasks/999").status == .notFound)
                #expect(try await api.get("/v1/tasks/abc").status == .badRequest)

                // Lists: open tasks paged, the creator's own, refusals for bad queries.
                let paged = try await api.get("/v1/tasks?limit=1&offset=1")
                #expect(paged.json["total"] as? Int == 2 && paged.json["limit"] as? Int == 1)
                #expect((paged.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [other])
                #expect(try await api.get("/v1/tasks?scope=mine").status == .unauthorized)
                #expect(try await api.get("/v1/tasks?scope=mine", token: ann.token).json["total"] as? Int == 2)
                #expect(try await api.get("/v1/tasks?scope=mine", token: bob.token).json["total"] as? Int == 0)
                #expect(try await api.get("/v1/tasks?scope=everything").status == .badRequest)
                #expect(try await api.get("/v1/tasks?limit=500").status == .badRequest)

                // Assignments: the stake is held; once per worker; never the creator; unknown tasks are 404.
                #expect(try await api.post("/v1/tasks/999/assignments", token: bob.token).status == .notFound)
                #expect(try await api.post("/v1/tasks/\(id)/results", ["inline": "a robin"], token: bob.token).status == .notFound)
                #expect(try await api.post("/v1/tasks/\(id)/assignments", token: bob.token).status == .ok)
                #expect(try await api.free(bob.account) == 9 * dml)
                #expect(try await api.post("/v1/tasks/\(id)/assignments", token: bob.token).code == "tasks.already_assigned")
                let own = try await api.post("/v1/tasks/\(id)/assignments", token: ann.token)
                #expect(own.status == .forbidden && own.code == "tasks.creator_cannot_work")
                #expect(try await api.get("/v1/tasks/\(id)", token: bob.token).string("viewerSubmission") == "assigned")

                // Results: exactly one of inline or stored, with a known storage.
                #expect(try await api.post("/v1/tasks/\(id)/results", [String: Any](), token: bob.token).status == .unprocessableContent)
                let floppy = try await api.post("/v1/tasks/\(id)/results", ["stored": ["path": "a:/x", "storage": "floppy"]], token: bob.token)
                #expect(floppy.status == .unprocessableContent && floppy.object("details")["field"] as? String == "stored.storage")
                #expect(try await api.post("/v1/tasks/\(id)/results", ["inline": "a robin"], token: bob.token).status == .ok)
                #expect(try await api.post("/v1/tasks/\(id)/assignments", token: cat.token).status == .ok)
                #expect(try await api.post("/v1/tasks/\(id)/results", ["stored": ["path": "ipfs://labels/cat.json", "storage": "ipfs"]],
                                           token: cat.token).status == .ok)
                let all = try await api.get("/v1/tasks/\(id)/results", token: ann.token)
                let items = try #require(all.json["items"] as? [[String: Any]])
                #expect(all.json["total"] as? Int == 2 && items.count == 2)
                let bobs = try #require(items.first { $0["worker"] as? String == bob.account })
                #expect(bobs["status"] as? String == "pending_validation" && (bobs["result"] as? [String: Any])?["inline"] as? String == "a robin")
                let mine = try await api.get("/v1/tasks/\(id)/results", token: cat.token)
                #expect(mine.json["total"] as? Int == 1)
                #expect((mine.json["items"] as? [[String: Any]])?.first?["worker"] as? String == cat.account)
                #expect(try await api.get("/v1/tasks/\(id)/results").status == .unauthorized)
                #expect(try await api.get("/v1/tasks/\(id)/results?limit=1", token: ann.token).json["total"] as? Int == 2)

                // Validation: only the creator judges (manual accept); acceptance pays reward and stake back,
                // rejection forfeits the stake to the creator.
                let stranger = try await api.post("/v1/tasks/\(id)/validations", ["worker": cat.account, "accept": true], token: bob.token)
                #expect(stranger.status == .forbidden && stranger.code == "tasks.not_authorized")
                #expect(try await api.post("/v1/tasks/\(id)/validations", ["worker": "nobody", "accept": true], token: ann.token).status
                    == .unprocessableContent)
                #expect(try await api.post("/v1/tasks/\(id)/validations", ["worker": bob.account, "accept": true, "inputDigest": "zz"],
                                           token: ann.token).status == .unprocessableContent)
                #expect(try await api.post("/v1/tasks/\(id)/validations", ["worker": bob.account, "accept": "yes"], token: ann.token).status
                    == .badRequest)
                #expect(try await api.post("/v1/tasks/\(id)/validations", ["worker": bob.account, "accept": true], token: ann.token).status == .ok)
                #expect(try await api.free(bob.account) == 20 * dml)
                #expect(try await api.post("/v1/tasks/\(id)/validations", ["worker": cat.account, "accept": false], token: ann.token).status == .ok)
                #expect(try await api.free(cat.account) == 9 * dml)
                #expect(try await api.free(ann.account) == 80 * dml)
                #expect(try await api.post("/v1/tasks/\(id)/validations", ["worker": bob.account, "accept": true], token: ann.token).code
                    == "tasks.invalid_status")
                let judged = try await api.get("/v1/tasks/\(id)")
                #expect(judged.string("status") == "in_progress" && judged.json["accepted"] as? Int == 1)
                #expect(judged.string("rewardsHeld") == "10000000000" && judged.object("results")["rejected"] as? Int == 1)

                // Before expiry nothing is withdrawn or settled; only the creator withdraws.
                #expect(try await api.post("/v1/tasks/\(id)/withdraw", token: ann.token).code == "tasks.task_not_expired")
                #expect(try await api.post("/v1/tasks/\(id)/withdraw", token: bob.token).status == .forbidden)
                #expect(try await api.post("/v1/tasks/\(other)/assignments", token: cat.token).status == .ok)
                #expect(try await api.get("/v1/tasks").json["total"] as? Int == 0, "both tasks are full")
                #expect(try await api.get("/v1/tasks?scope=assigned", token: cat.token).json["total"] as? Int == 2)
                #expect(try await api.post("/v1/tasks/\(other)/settle", ["worker": cat.account], token: bob.token).code == "tasks.task_not_expired")

                // After expiry: anyone settles a silent assignment; the creator takes back what is not owed.
                try await world.advance(to: expiry)
                #expect(try await api.get("/v1/tasks/\(id)").json["acceptingWork"] as? Bool == false)
                #expect(try await api.post("/v1/tasks/\(other)/settle", ["worker": bob.account], token: bob.token).status == .notFound)
                #expect(try await api.post("/v1/tasks/\(other)/settle", ["worker": cat.account], token: bob.token).status == .ok)
                let settled = try await api.get("/v1/tasks/\(other)/results", token: ann.token)
                #expect((settled.json["items"] as? [[String: Any]])?.first?["status"] as? String == "abandoned")
                #expect(try await api.post("/v1/tasks/\(id)/withdraw", token: ann.token).status == .ok)
                #expect(try await api.free(ann.account) == 90 * dml)
                #expect(try await api.post("/v1/tasks/\(other)/withdraw", token: ann.token).status == .ok)
                #expect(try await api.free(ann.account) == 91 * dml)
                #expect(try await api.post("/v1/tasks/\(id)/withdraw", token: ann.token).code == "tasks.nothing_to_withdraw")
                let closed = try await api.get("/v1/tasks/\(id)")
                #expect(closed.string("status") == "withdrawn" && closed.string("rewardsHeld") == "0")
            }
        }
    }

    @Test("storage: nodes, clusters and rings, buckets, deposit, allocation, settlement, distribution and withdrawal",
          arguments: Backend.allCases)
    func storage(backend: Backend) async throws {
        // Block times are the wall clock plus an offset the test moves: rent accrues by the hour
        // it jumps, not by a sleep, while the sequencer still cuts blocks on real time.
        let offset = ManualClock(startMilliseconds: 0)
        let chainClock: @Sendable () -> UInt64 = { LedgerService.wallClockMilliseconds() + offset.milliseconds }
        try await APIWorld.with(backend, chainClock: chainClock) { world in
            let dml = Self.dml
            try await world.test { api in
                let manager = try await api.user("manager@example.org"), owner = try await api.user("owner@example.org")
                let stranger = try await api.user("stranger@example.org")
                try await world.give(100, to: owner.account)

                // A cluster created over HTTP (it stays empty), with refusals for bad bodies.
                let cluster: [String: Any] = ["replicationMax": 1, "description": "empty", "resourcePerVNode": 10]
                #expect(try await api.post("/v1/storage/clusters", cluster).status == .unauthorized)
                #expect(try await api.post("/v1/storage/clusters", ["replicationMax": 300, "resourcePerVNode": 10], token: manager.token).status
                    == .badRequest)
                #expect(try await api.post("/v1/storage/clusters", ["replicationMax": 0, "resourcePerVNode": 10], token: manager.token).code
                    == "storage.invalid_params")
                let empty = try await api.post("/v1/storage/clusters", cluster, token: manager.token)
                #expect(empty.status == .created)
                let emptyID = try #require(empty.json["id"] as? Int)

                // A provider registers its node and runs a second cluster with it, signing itself (as `dml` does).
                let provider = AccountKey.insecureDerived(from: "api-storage-provider"), node = AccountKey.insecureDerived(from: "api-storage-node")
                try await world.applySigned(StorageCall.createNode(node.account, capacity: 100, rentPerVNodePerMonth: 1_000_000_000_000,
                                                                   params: NodeParams(url: "http://127.0.0.1:9")).call, by: provider)
                let made = try await world.applySigned(StorageCall.createCluster(ClusterParams(replicationMax: 1, description: "served"),
                                                                                 resourcePerVNode: 10).call, by: provider)
                let clusterID = try #require(made.events.lazy.compactMap { event -> UInt64? in
                    if case .clusterCreated(let id, _, _) = StorageEvent(event) { id.rawValue } else { nil }
                }.first)
                try await world.applySigned(StorageCall.addNode(Identifier(clusterID), node: node.account, vnodes: [1 << 62, 3 << 62]).call, by: provider)
                try await world.applySigned(StorageCall.setNodeStatus(Identifier(clusterID), node: node.account, .active).call, by: provider)

                // Nodes: paged and filtered; one by its key (its address).
                #expect(try await api.get("/v1/storage/nodes").json["total"] as? Int == 1)
                #expect(try await api.get("/v1/storage/nodes?status=active").json["total"] as? Int == 1)
                #expect(try await api.get("/v1/storage/nodes?status=offline").json["total"] as? Int == 0)
                #expect(try await api.get("/v1/storage/nodes?status=sleeping").status == .badRequest)
                #expect(try await api.get("/v1/storage/nodes?provider=\(provider.account.address)").json["total"] as? Int == 1)
                #expect(try await api.get("/v1/storage/nodes?provider=\(owner.account)").json["total"] as? Int == 0)
                #expect(try await api.get("/v1/storage/nodes?provider=nobody").status == .unprocessableContent)
                let shownNode = try await api.get("/v1/storage/nodes/\(node.account.address)")
                #expect(shownNode.json["cluster"] as? Int == Int(clusterID) && shownNode.string("status") == "active")
                #expect((shownNode.json["vnodes"] as? [String])?.count == 2 && shownNode.json["freeResource"] as? Int == 80)
                #expect(shownNode.string("provider") == provider.account.address)
                #expect(try await api.get("/v1/storage/nodes/\(stranger.account)").status == .notFound)
                #expect(try await api.get("/v1/storage/nodes/not-a-key").status == .unprocessableContent)

                // Clusters: paged, by manager; one with its nodes and its ring.
                let clusters = try await api.get("/v1/storage/clusters?limit=1&offset=1")
                #expect(clusters.json["total"] as? Int == 2 && (clusters.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [Int(clusterID)])
                #expect(try await api.get("/v1/storage/clusters?manager=\(manager.account)").json["total"] as? Int == 1)
                let shownCluster = try await api.get("/v1/storage/clusters/\(clusterID)")
                #expect(shownCluster.json["capacity"] as? Int == 20 && shownCluster.string("totalRent") == "2000000000000")
                #expect((shownCluster.json["nodes"] as? [[String: Any]])?.first?["key"] as? String == node.account.address)
                let ring = shownCluster.object("ring")
                let members = try #require(ring["members"] as? [[String: Any]])
                #expect(ring["vnodes"] as? Int == 2 && members.count == 1 && abs((members.first?["share"] as? Double ?? 0) - 1) < 1e-9)
                #expect(try await api.get("/v1/storage/clusters/999").status == .notFound)
                #expect(try await api.get("/v1/storage/clusters/0").status == .badRequest)

                // The owner deposits, creates buckets and allocates; only the owner allocates.
                #expect(try await api.post("/v1/storage/deposits", ["amount": "lots"], token: owner.token).status == .unprocessableContent)
                #expect(try await api.post("/v1/storage/deposits", ["amount": "50000000000"], token: owner.token).status == .ok)
                #expect(try await api.free(owner.account) == 50 * dml)
                #expect(try await api.get("/v1/storage/accounts/\(owner.account)").string("deposit") == "50000000000")
                #expect(try await api.get("/v1/storage/accounts/\(stranger.account)").status == .notFound)
                let bucket = try await api.post("/v1/storage/buckets", ["cluster": clusterID, "replication": 1, "description": "photos"],
                                                token: owner.token)
                #expect(bucket.status == .created)
                let bucketID = try #require(bucket.json["id"] as? Int)
                let unserved = try #require(try await api.post("/v1/storage/buckets", ["cluster": emptyID], token: owner.token).json["id"] as? Int)
                #expect(try await api.post("/v1/storage/buckets", ["cluster": 999], token: owner.token).status == .notFound)
                #expect(try await api.post("/v1/storage/buckets/\(unserved)/allocate", ["resource": 1], token: owner.token).code
                    == "storage.insufficient_cluster_resource")
                let notOwner = try await api.post("/v1/storage/buckets/\(bucketID)/allocate", ["resource": 5], token: stranger.token)
                #expect(notOwner.status == .forbidden && notOwner.code == "storage.not_owner")
                #expect(try await api.post("/v1/storage/buckets/\(bucketID)/allocate", ["resource": -1], token: owner.token).status == .badRequest)
                #expect(try await api.post("/v1/storage/buckets/\(bucketID)/allocate", ["resource": 0], token: owner.token).status == .unprocessableContent)
                #expect(try await api.post("/v1/storage/buckets/999/allocate", ["resource": 1], token: owner.token).status == .notFound)
                let allocated = try await api.post("/v1/storage/buckets/\(bucketID)/allocate", ["resource": 5], token: owner.token)
                #expect(allocated.status == .ok)

                // Buckets: the owner sees the access lists of a private bucket, a stranger does not.
                let ownView = try await api.get("/v1/storage/buckets/\(bucketID)", token: owner.token)
                #expect(ownView.string("rentPerMonth") == "10000000000000" && ownView.json["rentCoveredUntil"] as? Int != nil)
                #expect(ownView.json["readers"] as? [String] == [] && ownView.json["isPublic"] as? Bool == false)
                #expect(try await api.get("/v1/storage/buckets/\(bucketID)", token: stranger.token).json["readers"] == nil)
                #expect(try await api.get("/v1/storage/buckets/999").status == .notFound)
                let owned = try await api.get("/v1/storage/buckets?owner=\(owner.account)&limit=1")
                #expect(owned.json["total"] as? Int == 2 && (owned.json["items"] as? [Any])?.count == 1)
                #expect(try await api.get("/v1/storage/buckets?owner=\(stranger.account)").json["total"] as? Int == 0)

                // Rent: anyone settles (deposit → the cluster's revenue), anyone distributes (→ the provider).
                // An hour passes on the chain; the rent due is rate × elapsed / month, rounded down, and one
                // USD unit costs one base unit at the default exchange rate.
                offset.advance(byMilliseconds: 3_600_000)
                let settled = try await api.post("/v1/storage/buckets/\(bucketID)/settle", token: stranger.token)
                #expect(settled.status == .ok)
                let allocatedAt = try await api.blockTime(of: allocated), settledAt = try await api.blockTime(of: settled)
                #expect(settledAt - allocatedAt >= 3_600_000)
                let rate = try #require(ownView.string("rentPerMonth").flatMap { UInt64($0) })
                let due = UInt64(UInt128(rate) * UInt128(settledAt - allocatedAt) / UInt128(Schedule.millisecondsPerMonth))
                let revenues = try #require(try await api.get("/v1/storage/clusters/\(clusterID)").string("revenues").flatMap { UInt64($0) })
                #expect(revenues == due, "rent for \(settledAt - allocatedAt) ms at \(rate) per month")
                #expect(try await api.get("/v1/storage/accounts/\(owner.account)").string("deposit") == String(50 * dml - revenues))
                let before = try await api.free(provider.account.address)
                #expect(try await api.post("/v1/storage/clusters/\(clusterID)/distribute", token: stranger.token).status == .ok)
                #expect(try await api.free(provider.account.address) == before + revenues)
                #expect(try await api.get("/v1/storage/clusters/\(clusterID)").string("revenues") == "0")
                #expect(try await api.post("/v1/storage/clusters/999/distribute", token: stranger.token).status == .notFound)

                // Withdrawals: what rent has not claimed goes back to the wallet.
                #expect(try await api.post("/v1/storage/withdrawals", ["amount": "1000000000"], token: owner.token).status == .ok)
                #expect(try await api.free(owner.account) == 51 * dml)
                #expect(try await api.post("/v1/storage/withdrawals", ["amount": "999000000000"], token: owner.token).code
                    == "storage.insufficient_withdrawable")
                let account = try await api.get("/v1/storage/accounts/\(owner.account)")
                #expect(account.string("rentPerMonth") == "10000000000000" && account.json["rentCoveredUntil"] as? Int != nil)
            }
        }
    }

    @Test("vouchers: open and fund a hub, sign a voucher for the issuer, redeem once with the fee kept, blacklist, withdraw",
          arguments: Backend.allCases)
    func vouchers(backend: Backend) async throws {
        try await APIWorld.with(backend) { world in
            let dml = Self.dml
            try await world.test { api in
                let issuer = try await api.user("issuer@example.org"), device = try await api.user("device@example.org")
                let stranger = try await api.user("stranger@example.org")
                try await world.give(100, to: issuer.account)

                // A hub with a 10% fee, funded with 50 DML; its fee set to 5% by its issuer only.
                #expect(try await api.post("/v1/vouchers/hubs", ["feePercent": 101], token: issuer.token).status == .unprocessableContent)
                #expect(try await api.post("/v1/vouchers/hubs", ["feePercent": "ten"], token: issuer.token).status == .badRequest)
                let opened = try await api.post("/v1/vouchers/hubs", ["feePercent": 10], token: issuer.token)
                #expect(opened.status == .created)
                let hub = try #require(opened.json["id"] as? Int)
                #expect(try await api.post("/v1/vouchers/hubs/\(hub)/fund", ["amount": "50000000000"], token: issuer.token).status == .ok)
                #expect(try await api.free(issuer.account) == 50 * dml)
                #expect(try await api.post("/v1/vouchers/hubs/\(hub)/fund", ["amount": "1"], token: stranger.token).code == "balances.insufficient_balance")
                let refused = try await api.callAny(.patch, "/v1/vouchers/hubs/\(hub)", ["feePercent": 5], token: stranger.token)
                #expect(refused.status == .forbidden && refused.code == "vouchers.not_issuer")
                #expect(try await api.callAny(.patch, "/v1/vouchers/hubs/\(hub)", ["feePercent": 5], token: issuer.token).status == .ok)
                #expect(try await api.callAny(.patch, "/v1/vouchers/hubs/\(hub)", ["feePercent": 5], token: issuer.token).code == "vouchers.fee_unchanged")
                let shown = try await api.get("/v1/vouchers/hubs/\(hub)")
                #expect(shown.string("issuer") == issuer.account && shown.json["feePercent"] as? Int == 5 && shown.string("balance") == "50000000000")
                #expect(try await api.get("/v1/vouchers/hubs/999").status == .notFound)
                #expect(try await api.get("/v1/vouchers/hubs/0").status == .badRequest)
                #expect(try await api.post("/v1/vouchers/hubs/999/fund", ["amount": "1"], token: issuer.token).status == .notFound)

                // The issuer (custodial) has the server sign a voucher; nobody else can.
                let nonces = try await api.get("/v1/vouchers/hubs/\(hub)/nonces/\(device.account)")
                #expect(nonces.json["lastNonce"] == nil && nonces.json["nextNonce"] as? Int == 0)
                let voucher: [String: Any] = ["recipient": device.account, "amount": "10000000000", "nonce": 1]
                #expect(try await api.post("/v1/vouchers/hubs/\(hub)/vouchers", voucher, token: stranger.token).status == .forbidden)
                #expect(try await api.post("/v1/vouchers/hubs/999/vouchers", voucher, token: issuer.token).status == .notFound)
                let signed = try await api.post("/v1/vouchers/hubs/\(hub)/vouchers", voucher, token: issuer.token)
                #expect(signed.status == .created)
                let signature = try #require(signed.string("signature"))

                // The device redeems it once: 9.5 DML paid, the 0.5 DML fee stays in the hub.
                let redemption: [String: Any] = ["hub": hub, "amount": "10000000000", "nonce": 1, "signature": signature]
                #expect(try await api.post("/v1/vouchers/redemptions", redemption).status == .unauthorized)
                var tampered = redemption
                tampered["amount"] = "20000000000"
                #expect(try await api.post("/v1/vouchers/redemptions", tampered, token: device.token).code == "vouchers.invalid_signature")
                let forged = Voucher(hub: Identifier(UInt64(hub)), recipient: try AccountID(address: device.account), amount: Amount(baseUnits: 10 * dml),
                                     nonce: 1).signed(by: AccountKey.insecureDerived(from: "api-forger"), chain: world.chain.service.chainID)
                tampered = redemption
                tampered["signature"] = Hex.encode(forged)
                #expect(try await api.post("/v1/vouchers/redemptions", tampered, token: device.token).status == .forbidden)
                tampered["signature"] = "zz"
                #expect(try await api.post("/v1/vouchers/redemptions", tampered, token: device.token).status == .unprocessableContent)
                #expect(try await api.post("/v1/vouchers/redemptions", redemption, token: device.token).status == .created)
                #expect(try await api.free(device.account) == 9_500_000_000)
                #expect(try await api.get("/v1/vouchers/hubs/\(hub)").string("balance") == "40500000000")
                #expect(try await api.post("/v1/vouchers/redemptions", redemption, token: device.token).code == "vouchers.nonce_not_increasing")
                let after = try await api.get("/v1/vouchers/hubs/\(hub)/nonces/\(device.account)")
                #expect(after.json["lastNonce"] as? Int == 1 && after.json["nextNonce"] as? Int == 2)

                // Blacklisting: by the issuer, once; a blacklisted recipient cannot redeem.
                let blacklist = ["account": stranger.account]
                #expect(try await api.post("/v1/vouchers/hubs/\(hub)/blacklist", blacklist, token: stranger.token).status == .forbidden)
                #expect(try await api.post("/v1/vouchers/hubs/\(hub)/blacklist", ["account": "nobody"], token: issuer.token).status
                    == .unprocessableContent)
                #expect(try await api.post("/v1/vouchers/hubs/\(hub)/blacklist", blacklist, token: issuer.token).status == .ok)
                #expect(try await api.post("/v1/vouchers/hubs/\(hub)/blacklist", blacklist, token: issuer.token).code == "vouchers.already_blacklisted")
                let forStranger = try await api.post("/v1/vouchers/hubs/\(hub)/vouchers", ["recipient": stranger.account, "amount": "1000000000", "nonce": 1],
                                                     token: issuer.token)
                let strangerRedemption: [String: Any] = ["hub": hub, "amount": "1000000000", "nonce": 1,
                                                         "signature": try #require(forStranger.string("signature"))]
                #expect(try await api.post("/v1/vouchers/redemptions", strangerRedemption, token: stranger.token).code == "vouchers.recipient_blacklisted")

                // Withdrawal: the issuer takes back what the hub holds, fee included.
                #expect(try await api.post("/v1/vouchers/hubs/\(hub)/withdraw", ["amount": "1"], token: stranger.token).status == .forbidden)
                #expect(try await api.post("/v1/vouchers/hubs/\(hub)/withdraw", ["amount": "40500000000"], token: issuer.token).status == .ok)
                #expect(try await api.free(issuer.account) == 90_500_000_000)
                #expect(try await api.post("/v1/vouchers/hubs/\(hub)/withdraw", ["amount": "1"], token: issuer.token).code == "vouchers.hub_underfunded")
                #expect(try await api.get("/v1/vouchers/hubs/\(hub)").string("balance") == "0")
            }
        }
    }
}
