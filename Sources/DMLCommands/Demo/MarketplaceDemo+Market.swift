import DMLCore
import DMLLedger
import DMLNode
import DMLSandbox
import Foundation

/// The marketplace acts: algorithms and their review, a bounty from funding to payout, and a
/// task under each validation strategy.
extension MarketplaceDemo {
    struct PublishedAlgorithms {
        let digits: Int
        let digitsCID: String
        let columnStats: Int
        let columnStatsCID: String
        let columnStatsPackage: AlgorithmPackage
    }

    func publishAndReviewAlgorithms() async throws -> PublishedAlgorithms {
        narrator.act("Algorithms: two developers publish WebAssembly algorithms, a moderator reviews them, the requester buys one")
        if try await files.buildAlgorithmsIfNeeded() {
            narrator.done("built the example algorithms from C to WebAssembly (examples/algorithms/build.sh)")
        }
        let digitsPackage = try AlgorithmPackage.pack(folder: files.package("digits"))
        let statsPackage = try AlgorithmPackage.pack(folder: files.package("column-stats"))
        let (digits, digitsCID) = try await publish(
            digitsPackage, by: cast.ada, title: "Handwritten digit classifier",
            description: "Classifies 8×8 images of handwritten digits; returns how many of each digit it saw.",
            tags: ["vision", "digits"], price: "2000000000")
        let (stats, statsCID) = try await publish(
            statsPackage, by: cast.grace, title: "Column statistics",
            description: "Count, sum, sum of squares, minimum and maximum of each of 30 numeric columns.",
            tags: ["tabular", "statistics"], price: "500000000")
        let pending = try await json(cast.moderator, "GET", "/v1/algorithms?status=pending_review")
        narrator.done("Ada and Grace uploaded their packages (content-addressed) and listed them: \(pending["total"] ?? 0) waiting for review")
        for id in [digits, stats] {
            _ = try await json(cast.moderator, "POST", "/v1/algorithms/\(id)/review", ["decision": "approve"])
        }
        let listed = try await json(cast.requester, "GET", "/v1/algorithms?q=digit&sort=price")
        let found = (listed["items"] as? [[String: Any]])?.first
        narrator.done("the moderator approved both; searching \"digit\" finds \"\(found?["title"] ?? "?")\" at \(dml(found?["price"] as? String ?? "?"))")

        _ = try await json(cast.requester, "POST", "/v1/algorithms/\(digits)/purchase", ["maxPrice": "2000000000"])
        let downloaded = try await cast.requester.client.send("GET", "/v1/algorithms/\(digits)/artifact")
        guard [UInt8](downloaded) == digitsPackage.bytes else { throw CommandFailure("the downloaded package differs from the published one") }
        narrator.done("the requester bought it (the price held in escrow for Ada) and downloaded the package: \(downloaded.count) bytes, every chunk verified")
        let adaBefore = await stage.balance(cast.ada.account)
        _ = try await json(cast.ada, "POST", "/v1/algorithms/\(digits)/withdraw")
        narrator.done("Ada withdrew her proceeds: \(adaBefore) → \(await stage.balance(cast.ada.account))")
        return PublishedAlgorithms(digits: digits, digitsCID: digitsCID, columnStats: stats, columnStatsCID: statsCID,
                                   columnStatsPackage: statsPackage)
    }

    private func publish(_ package: AlgorithmPackage, by developer: DemoActor, title: String, description: String, tags: [String],
                         price: String) async throws -> (Int, String) {
        let uploaded = try await stage.upload(package.bytes, to: "/v1/algorithms/artifacts", token: developer.token)
        guard let cid = uploaded["cid"] as? String else { throw CommandFailure("the upload returned no CID") }
        let created = try await json(developer, "POST", "/v1/algorithms", [
            "title": title, "description": description, "tags": tags, "price": price, "deviceFee": "0", "artifact": cid,
        ] as [String: Any])
        guard let id = created["id"] as? Int else { throw CommandFailure("publishing returned no id") }
        return (id, cid)
    }

    // MARK: Bounty

    func runBounty(submissions algorithms: PublishedAlgorithms) async throws {
        narrator.act("A bounty: posted, funded in escrow, enrollment, submissions, winners, payout")
        let now = LedgerService.wallClockMilliseconds()
        let created = try await json(cast.requester, "POST", "/v1/bounties", [
            "title": "Classify handwritten digits on a phone",
            "description": "A small, fast digit classifier that runs in the DML sandbox.",
            "prizes": ["30000000000", "10000000000"],
            "enrollmentEnd": now + 3_600_000, "submissionEnd": now + 7_200_000, "evaluationDeadline": now + 86_400_000, "fund": false,
        ] as [String: Any])
        guard let id = created["id"] as? Int else { throw CommandFailure("the bounty has no id") }
        let pendingList = try await json(cast.requester, "GET", "/v1/bounties?status=pending")
        _ = try await json(cast.requester, "POST", "/v1/bounties/\(id)/fund", ["amount": "40000000000"])
        narrator.done("bounty \(id) posted (\(pendingList["total"] ?? 0) pending) with prizes of 30 and 10 DML; the requester put 40 DML in escrow")
        _ = try await json(cast.requester, "POST", "/v1/bounties/\(id)/open-enrollment")
        for developer in [cast.ada, cast.grace] { _ = try await json(developer, "POST", "/v1/bounties/\(id)/enrollments") }
        _ = try await json(cast.requester, "POST", "/v1/bounties/\(id)/close-enrollment")
        _ = try await json(cast.requester, "POST", "/v1/bounties/\(id)/open-submissions")
        _ = try await json(cast.ada, "POST", "/v1/bounties/\(id)/submissions",
                           ["artifact": algorithms.digitsCID, "note": "the digit classifier, 97% on held-out digits"])
        _ = try await json(cast.grace, "POST", "/v1/bounties/\(id)/submissions",
                           ["artifact": algorithms.columnStatsCID, "note": "feature statistics to pick thresholds"])
        _ = try await json(cast.requester, "POST", "/v1/bounties/\(id)/close-submissions")
        let seen = try await json(cast.requester, "GET", "/v1/bounties/\(id)/submissions")
        narrator.done("Ada and Grace enrolled and submitted; the requester sees \(seen["total"] ?? (seen["items"] as? [Any])?.count ?? 0) submissions")
        let before = (await stage.balance(cast.ada.account), await stage.balance(cast.grace.account))
        _ = try await json(cast.requester, "POST", "/v1/bounties/\(id)/winners",
                           ["winners": [cast.ada.account.address, cast.grace.account.address]])
        _ = try await json(cast.requester, "POST", "/v1/bounties/\(id)/payout")
        guard await stage.balance(cast.ada.account).baseUnits == before.0.baseUnits + 30_000_000_000,
              await stage.balance(cast.grace.account).baseUnits == before.1.baseUnits + 10_000_000_000 else {
            throw CommandFailure("the payout did not pay 30 DML to Ada and 10 DML to Grace")
        }
        let shown = try await json(cast.requester, "GET", "/v1/bounties/\(id)")
        narrator.done("winners picked and paid (status \(shown["status"] ?? "?")): Ada \(before.0) → \(await stage.balance(cast.ada.account)), "
                      + "Grace \(before.1) → \(await stage.balance(cast.grace.account))")
    }

    // MARK: Tasks

    func runTasks(algorithms: PublishedAlgorithms) async throws {
        narrator.act("DecentralML tasks, one per validation strategy: accepted at once, by the requester, by a validator's sandboxed check")
        let (wes, wu) = (cast.taskWorkers[0], cast.taskWorkers[1])
        let expiry = await stage.chain.service.head.height + 100_000

        // Automatic acceptance: the result is paid the moment it arrives.
        let auto = try await createTask([
            "kind": ["type": "model_contribution", "script": ["path": "ipfs://demo/train-digits.py", "storage": "ipfs"]] as [String: Any],
            "question": "Fine-tune the digit model on your own handwriting; send the weights.",
            "rewardPerResult": "1000000000", "maxAssignments": 1, "expiresAtHeight": expiry, "validation": ["strategy": "auto_accept"],
        ])
        let wesBefore = await stage.balance(wes.account)
        _ = try await json(wes, "POST", "/v1/tasks/\(auto)/assignments")
        _ = try await json(wes, "POST", "/v1/tasks/\(auto)/results", ["stored": ["path": "ipfs://wes/digits-weights.bin", "storage": "ipfs"]])
        narrator.done("auto accept (task \(auto)): Wes sent weights and was paid at once: \(wesBefore) → \(await stage.balance(wes.account))")

        // Manual acceptance with a stake: the requester judges; a rejected worker loses the stake.
        let manual = try await createTask([
            "kind": ["type": "data_annotation", "annotationType": "image", "files": ["ipfs://digits/17.png", "ipfs://digits/18.png"],
                     "filesStorage": "ipfs"] as [String: Any],
            "question": "Which digit is in each image?", "rewardPerResult": "2000000000", "maxAssignments": 2, "expiresAtHeight": expiry,
            "validation": ["strategy": "manual_accept"], "stakePerAssignment": "500000000",
        ])
        for worker in [wes, wu] { _ = try await json(worker, "POST", "/v1/tasks/\(manual)/assignments") }
        _ = try await json(wes, "POST", "/v1/tasks/\(manual)/results", ["inline": "7, 2"])
        _ = try await json(wu, "POST", "/v1/tasks/\(manual)/results", ["inline": "1, 1"])
        let wuBefore = await stage.balance(wu.account)
        _ = try await json(cast.requester, "POST", "/v1/tasks/\(manual)/validations", ["worker": wes.account.address, "accept": true])
        _ = try await json(cast.requester, "POST", "/v1/tasks/\(manual)/validations", ["worker": wu.account.address, "accept": false])
        narrator.done("manual accept (task \(manual)): the requester accepted Wes's labels \"7, 2\" (reward and stake back) and "
                      + "rejected Wu's \"1, 1\" (stake kept): Wu \(wuBefore) → \(await stage.balance(wu.account))")

        // Custom acceptance: only the named validator decides, from a sandboxed run of an algorithm.
        let statsPackage = algorithms.columnStatsPackage, statsCID = algorithms.columnStatsCID
        let custom = try await createTask([
            "kind": ["type": "model_engineering", "model": ["path": "ipfs://demo/tumour-features.csv", "storage": "ipfs"]] as [String: Any],
            "question": "Send six rows of the 30 tumour measurements, cleaned; the validator checks every column is complete.",
            "rewardPerResult": "3000000000", "maxAssignments": 1, "expiresAtHeight": expiry,
            "validation": ["strategy": "custom_accept", "validator": cast.validator.account.address, "algorithm": statsCID],
        ])
        let table = try String(contentsOf: files.root.appendingPathComponent("examples/algorithms/column-stats/data/breast_cancer.csv"),
                               encoding: .utf8).split(separator: "\n").dropFirst().prefix(6).joined(separator: "\n")
        _ = try await json(wu, "POST", "/v1/tasks/\(custom)/assignments")
        _ = try await json(wu, "POST", "/v1/tasks/\(custom)/results", ["inline": table])
        let results = try await json(cast.validator, "GET", "/v1/tasks/\(custom)/results")
        guard let submitted = ((results["items"] as? [[String: Any]])?.first?["result"] as? [String: Any])?["inline"] as? String else {
            throw CommandFailure("the validator sees no result")
        }
        let input = try InputCodec.input(fromFile: Array(submitted.utf8), schema: statsPackage.manifest.input, dropColumns: 1)
        let run = await InProcessRunner().run(statsPackage, input: input)
        let counts = OutputCodec.vector(run.output).enumerated().filter { $0.offset % 5 == 0 }.map(\.element)
        let complete = run.outcome == .completed && counts.count == 30 && counts.allSatisfy { $0 == 6 }
        _ = try await json(cast.validator, "POST", "/v1/tasks/\(custom)/validations", [
            "worker": wu.account.address, "accept": complete,
            "inputDigest": run.inputDigest.hex, "outputDigest": Hash256.of(run.output).hex,
        ] as [String: Any])
        narrator.done("custom accept (task \(custom)): the validator ran Grace's column statistics in the sandbox on Wu's table — "
                      + "\(counts.count) columns, \(Int(counts.first ?? 0)) values each — and \(complete ? "accepted" : "rejected") it with the run's digests")
    }

    private func createTask(_ body: [String: Any]) async throws -> Int {
        let created = try await json(cast.requester, "POST", "/v1/tasks", body)
        guard let id = created["id"] as? Int else { throw CommandFailure("the task has no id") }
        return id
    }
}
