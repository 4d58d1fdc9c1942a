import DMLCore
import DMLLedger
import DMLNode
import DMLSandbox
@testable import DMLServer
import Foundation
import Testing

/// Results that must not be paid: forged outputs, tampered or replayed receipts, duplicates,
/// other devices' receipts, wrong challenge answers; and the escrow ends exactly at zero.
@Suite("API server: jobs", .serialized)
struct APIJobsTests {
    @Test("forged, tampered, duplicate and replayed results are refused; honest ones paid; escrow ends at zero", arguments: Backend.allCases)
    func results(backend: Backend) async throws {
        // One clock for the server and the sequencer, moved forward to pass the short job's deadline.
        let clock = SkewedClock()
        let package = try await ExampleAlgorithms.package("column-stats")
        let rows = try ExampleAlgorithms.breastCancerRows()
        guard let world = try await APIWorld.make(backend, configure: { $0.jobChallengeRate = 1 }, now: clock.function,
                                                  chainClock: clock.function) else { return }
        let sandbox = InProcessRunner()
        // The world is closed however the test ends (an open SQLite connection asserts on deinit).
        do { try await world.test { api in
            let requester = try await api.user("requester@example.org"), moderator = try await api.user("moderator@example.org")
            try await world.asAdmin(RolesCall.grant(.moderator, to: try AccountID(address: moderator.account)).call)
            try await world.give(10, to: requester.account)
            let algorithm = try await api.publish(package, developer: requester.token, moderator: moderator.token)

            let body: [String: Any] = ["algorithm": algorithm, "devices": 2, "rewardPerDevice": "1000000000",
                                       "deadlineMilliseconds": clock.now() + 600_000]
            #expect(try await api.post("/v1/jobs", body).status == .unauthorized)
            var bad = body
            bad["algorithm"] = 999
            #expect(try await api.post("/v1/jobs", bad, token: requester.token).status == .unprocessableContent)
            let created = try await api.post("/v1/jobs", body, token: requester.token)
            #expect(created.status == .created)
            let job = try #require(created.json["id"] as? Int)
            #expect(try await api.get("/v1/jobs/\(job)").json["rewardsHeld"] as? String == "2000000000")
            #expect(try await api.get("/v1/jobs?status=open").json["total"] as? Int == 1)

            let first = AccountKey.insecureDerived(from: "jobs-device-1"), second = AccountKey.insecureDerived(from: "jobs-device-2")
            let token1 = try await api.device(first), token2 = try await api.device(second)
            // The requester gets no work from their own job.
            #expect(try await api.post("/v1/jobs/work", [:], token: requester.token).status == .noContent)
            let work = try await api.post("/v1/jobs/work", [:], token: token1)
            #expect(work.status == .ok)
            let lease = try #require(work.string("lease")), nonce = try #require(Hash256(hex: work.string("nonce") ?? ""))
            let challenge = try #require(work.string("challenge").flatMap { Data(base64Encoded: $0) }).map { $0 }
            // Asking again returns the same lease (a restarted device resumes).
            #expect(try await api.post("/v1/jobs/work", [:], token: token1).string("lease") == lease)
            let package = try await api.download("/v1/jobs/\(job)/package", token: token1)
            #expect(package.status == .ok && Hash256.of(package.bytes) == self.package(package.bytes).address)
            #expect(try await api.download("/v1/jobs/\(job)/package", token: token2).status == .forbidden)

            // The honest run, and its challenge.
            let input = InputCodec.matrix(Array(rows[0..<200]), columns: 30)
            let run = await sandbox.run(self.package(package.bytes), input: input)
            #expect(run.outcome == .completed)
            let receipt = RunReceipt(result: run, algorithm: Hash256.of(package.bytes), nonce: nonce, key: first)
            let challengeRun = await sandbox.run(self.package(package.bytes), input: challenge)
            let challengeAnswer: [String: Any] = [
                "output": Data(challengeRun.output).base64EncodedString(),
                "receipt": try jsonObject(RunReceipt(result: challengeRun, algorithm: Hash256.of(package.bytes), nonce: nonce, key: first)),
            ]
            func result(_ output: [UInt8], _ receipt: RunReceipt, lease: String = lease, challenge: [String: Any]? = nil,
                        audit: [UInt8]? = nil, token: String = token1) async throws -> Caller.Reply {
                var body: [String: Any] = ["lease": lease, "output": Data(output).base64EncodedString(), "receipt": try jsonObject(receipt)]
                body["challenge"] = challenge ?? challengeAnswer
                if let audit { body["auditInput"] = Data(audit).base64EncodedString() }
                return try await api.post("/v1/jobs/\(job)/results", body, token: token)
            }

            // A tampered receipt: the signature no longer verifies.
            var tampered = receipt
            tampered.fuelUsed += 1
            #expect(try await result(run.output, tampered).code == "jobs.bad_receipt_signature")
            // A forged output under an honest receipt.
            var forgedOutput = run.output
            forgedOutput[0] ^= 1
            #expect(try await result(forgedOutput, receipt).code == "jobs.receipt_mismatch")
            // A forged output the device signs itself: the challenge, re-run by the server, gives it away.
            var fakeChallenge = challengeRun
            fakeChallenge.output = OutputCodec.bytes(OutputCodec.vector(challengeRun.output).map { $0 + 1 })
            fakeChallenge.outputDigest = Hash256.of(fakeChallenge.output)
            let lying: [String: Any] = ["output": Data(fakeChallenge.output).base64EncodedString(),
                                        "receipt": try jsonObject(RunReceipt(result: fakeChallenge, algorithm: Hash256.of(package.bytes), nonce: nonce, key: first))]
            #expect(try await result(run.output, receipt, challenge: lying).code == "jobs.challenge_failed")
            // A receipt replayed from another lease (other nonce).
            let replayed = RunReceipt(result: run, algorithm: Hash256.of(package.bytes), nonce: .zero, key: first)
            #expect(try await result(run.output, replayed).code == "jobs.receipt_mismatch")
            // A disclosed input that is not the one the receipt names.
            #expect(try await result(run.output, receipt, audit: Array(input.dropLast(4))).code == "jobs.audit_failed")
            // Nothing was paid so far.
            #expect(try await api.get("/v1/jobs/\(job)").json["accepted"] as? Int == 0)

            // The honest result, with its input disclosed for audit: paid once.
            let paid = try await result(run.output, receipt, audit: input)
            #expect(paid.status == .created)
            #expect(paid.json["audited"] as? Bool == true && paid.json["challenged"] as? Bool == true)
            #expect(paid.object("transaction")["hash"] != nil)
            #expect(try await result(run.output, receipt).code == "jobs.duplicate_result")
            #expect(try await api.post("/v1/jobs/work", [:], token: token1).status == .noContent)

            // Another device cannot cash the first device's receipt.
            #expect(try await result(run.output, receipt, token: token2).code == "jobs.no_lease")
            let work2 = try await api.post("/v1/jobs/work", [:], token: token2)
            let lease2 = try #require(work2.string("lease")), nonce2 = try #require(Hash256(hex: work2.string("nonce") ?? ""))
            #expect(try await result(run.output, receipt, lease: lease2, token: token2).code == "jobs.receipt_not_yours")
            let challenge2 = try #require(work2.string("challenge").flatMap { Data(base64Encoded: $0) }).map { $0 }
            let input2 = InputCodec.matrix(Array(rows[200...]), columns: 30)
            let run2 = await sandbox.run(self.package(package.bytes), input: input2)
            let answer2 = await sandbox.run(self.package(package.bytes), input: challenge2)
            let honest2: [String: Any] = ["output": Data(answer2.output).base64EncodedString(),
                                          "receipt": try jsonObject(RunReceipt(result: answer2, algorithm: Hash256.of(package.bytes), nonce: nonce2, key: second))]
            // A result a dead process kept but never paid does not block the device's real one.
            try await world.server.jobs.board.addResult(job: UInt64(job), JobBoard.StoredResult(
                device: second.account, output: [1], receipt: "{}", challenged: false, audited: false, transaction: "", height: 0,
                createdAt: world.server.now() - 300_000))
            let paid2 = try await result(run2.output, RunReceipt(result: run2, algorithm: Hash256.of(package.bytes), nonce: nonce2, key: second),
                                         lease: lease2, challenge: honest2, token: token2)
            #expect(paid2.status == .created && paid2.json["audited"] as? Bool == false)

            // Results: the requester sees both, a device its own.
            #expect(try await api.get("/v1/jobs/\(job)/results", token: requester.token).json["total"] as? Int == 2)
            #expect(try await api.get("/v1/jobs/\(job)/results", token: token2).json["total"] as? Int == 1)
            // The report merges the two halves exactly: count 569 in every column.
            let report = try await api.get("/v1/jobs/\(job)/report?format=json", token: requester.token)
            let columns = try #require(report.json["columns"] as? [[String: Any]])
            #expect(columns.count == 30 && columns.allSatisfy { $0["count"] as? Double == 569 })
            #expect((report.json["payments"] as? [[String: Any]])?.count == 2)
            #expect(try await api.get("/v1/jobs/\(job)/report", token: token2).status == .forbidden)
            #expect(try await api.raw(.get, "/v1/jobs/\(job)/report?format=csv").isEmpty == false)

            // Every slot paid: the job is completed and its escrow is exactly zero.
            let after = try await api.get("/v1/jobs/\(job)")
            #expect(after.json["status"] as? String == "completed" && after.json["rewardsHeld"] as? String == "0")
            let escrow = await world.chain.service.reading { Balances.escrowBalance(Jobs.rewardEscrow(Identifier(UInt64(job))), in: $0) }
            #expect(escrow == .zero)
            #expect(try await api.post("/v1/jobs/work", [:], token: token2).status == .noContent)

            // A job nobody finished: after its deadline the requester closes it and gets it all back.
            var short = body
            short["deadlineMilliseconds"] = clock.now() + 60_000
            let unfinished = try #require(try await api.post("/v1/jobs", short, token: requester.token).json["id"] as? Int)
            #expect(try await api.post("/v1/jobs/\(unfinished)/close", [:], token: moderator.token).code == "jobs.not_requester_or_validator")
            #expect(try await api.post("/v1/jobs/\(unfinished)/close", [:], token: requester.token).code == "jobs.deadline_not_reached")
            clock.jump(byMilliseconds: 60_001)
            let closed = try await api.post("/v1/jobs/\(unfinished)/close", [:], token: requester.token)
            #expect(closed.status == .ok)
            let refunded = try await api.get("/v1/jobs/\(unfinished)")
            #expect(refunded.json["status"] as? String == "closed" && refunded.json["rewardsHeld"] as? String == "0")
            #expect(try await api.post("/v1/jobs/\(unfinished)/close", [:], token: requester.token).code == "jobs.job_not_open")
            let balances = await world.chain.service.reading { state in
                (Balances.balance(of: first.account, in: state).free, Balances.balance(of: second.account, in: state).free)
            }
            #expect(balances.0 == .tokens(1)! && balances.1 == .tokens(1)!)
        } } catch {
            await world.close()
            throw error
        }
        await world.close()
    }

    func package(_ bytes: [UInt8]) -> AlgorithmPackage {
        // The bytes came from the server, which checked them; a failure here is a test bug.
        try! AlgorithmPackage(bytes: bytes)
    }
}
