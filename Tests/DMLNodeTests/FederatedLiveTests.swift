import DMLCore
import DMLLearning
import DMLLedger
import DMLNode
@testable import DMLServer
import DMLWorker
import Foundation
import Testing

/// Real `dml fl worker` processes on loopback against a live server.
@Suite("Federated jobs: worker processes on loopback", .serialized)
struct FederatedLiveTests {
    /// A `dml fl worker` child process for `job`.
    static func flWorker(port: Int, folder: String, input: String, job: Int, arguments: [String] = []) throws -> JobsLiveTests.WorkerProcess {
        try JobsLiveTests.WorkerProcess(folder: folder, command: ["fl", "worker", "--server", "http://127.0.0.1:\(port)", "--data", folder,
                                                                  "--input", input, "--job", "\(job)", "--wait", "2"] + arguments)
    }

    @Test("ten worker processes train the digits model with secure aggregation, record-level DP and 20% dropping out every round; survivors are paid each round, the report shows the curve")
    func tenWorkersSecureAggregation() async throws {
        var experiments = try await FederatedFixtures.experiments()
        experiments.rounds = 8
        var privatePlan = try experiments.privatePlan()
        privatePlan.secureAggregation = SecureAggregationSettings(clip: 256)
        let plan = privatePlan, devices = experiments.partition(nonIID: false), evaluation = experiments.test
        guard let world = try await APIWorld.make(.sqlite, configure: {
            // Generous: a device that is merely slow on a loaded machine must never be taken for one
            // that vanished. The two that vanish cost one phase timeout a round.
            $0.federatedJoinMilliseconds = 120_000
            $0.federatedPhaseMilliseconds = 6_000
        }) else { return }
        let root = Fixtures.temporaryDirectory()
        do {
            let result = JobsLiveTests.ResultBox()
            try await world.test { api in
                let requester = try await api.user("requester@example.org"), owner = try await api.user("owner@example.org")
                try await world.give(100, to: requester.account)
                #expect(try await api.post("/v1/privacy/budgets", ["dataset": "clinic/digits", "epsilon": 8], token: owner.token).status == .created)
                let created = try await FederatedFixtures.create(api, token: requester.token, plan: plan, dataset: "clinic/digits",
                                                                 evaluation: evaluation)
                #expect(created.status == .created, "\(created.json)")
                result.set((requester.token, try #require(created.json["id"] as? Int)))
            }
            let (token, job) = try #require(result.get())
            try await world.live { port in
                var workers: [JobsLiveTests.WorkerProcess] = []
                for (index, data) in devices.enumerated() {
                    let input = "\(root)/device-\(index).csv"
                    try data.csvText().write(toFile: input, atomically: true, encoding: .utf8)
                    // Two of ten devices share their keys and then vanish, every round.
                    workers.append(try Self.flWorker(port: port, folder: "\(root)/device-\(index)", input: input, job: job,
                                                       arguments: index < 2 ? ["--dropout-rate", "1"] : []))
                }
                for worker in workers {
                    let status = await worker.wait(seconds: 300)
                    #expect(status == 0, "worker: \(worker.output)")
                }
                let id = Identifier<FederatedJob>(UInt64(job))
                let accounts = try workers.map { try $0.account() }
                let (stored, rounds, balances, held) = await world.chain.service.reading { state in
                    (Federated.job(id, in: state), (1...8).compactMap { Federated.round(id, UInt32($0), in: state) },
                     accounts.map { Balances.balance(of: $0, in: state).free }, Balances.escrowBalance(Federated.rewardEscrow(id), in: state))
                }
                #expect(stored?.status == .completed && stored?.roundsRecorded == 8)
                #expect(rounds.count == 8 && rounds.allSatisfy { Set($0.devices) == Set(accounts.dropFirst(2)) }, "\(rounds.map(\.devices))")
                #expect(balances.prefix(2).allSatisfy { $0 == .zero } && balances.dropFirst(2).allSatisfy { $0 == .tokens(8)! })
                #expect(held == .zero)

                let client = DeviceClient(server: URL(string: "http://127.0.0.1:\(port)")!, key: AccountKey())
                client.useToken(token)
                let report = try JSONSerialization.jsonObject(with: try await client.send("GET", "/v1/federated/\(job)/report?format=json")) as? [String: Any]
                let records = report?["rounds"] as? [[String: Any]] ?? []
                #expect(records.count == 8 && records.allSatisfy { $0["devices"] as? Int == 8 && $0["dropouts"] as? Int == 2 })
                let accuracy = records.last?["accuracy"] as? Double ?? 0
                // Learning under DP noise with devices' own randomness: far above chance (0.1), not a
                // fixed number (the accuracy targets are checked deterministically in DMLLearningTests).
                #expect(accuracy >= 0.6, "accuracy by round: \(records.map { $0["accuracy"] ?? "-" })")
                #expect((report?["privacy"] as? [String: Any])?["epsilon"] as? Double ?? 99 <= 8)
                let html = String(decoding: try await client.send("GET", "/v1/federated/\(job)/report"), as: UTF8.self)
                #expect(html.contains("<svg") && html.contains("Accuracy on the requester"))
                let model = try await client.send("GET", "/v1/federated/\(job)/model")
                #expect(try ModelWeights.decode([UInt8](model)).spec == DigitsExperiments.model)
                #expect(workers[5].output.contains("aggregated") && workers[0].output.contains("dropped out"))
                // The requester lists the final model in the marketplace.
                let listing = try JSONSerialization.jsonObject(with: try await client.send(
                    "POST", "/v1/federated/\(job)/publish",
                    body: ["title": "Digits classifier", "description": "Trained by ten devices", "price": "5000000000", "tags": ["digits"]])) as? [String: Any]
                let algorithm = try #require(listing?["id"] as? Int)
                let listed = try JSONSerialization.jsonObject(with: try await client.send("GET", "/v1/algorithms/\(algorithm)")) as? [String: Any]
                #expect(listed?["title"] as? String == "Digits classifier")
            }
        } catch {
            await world.close()
            throw error
        }
        await world.close()
    }
}
