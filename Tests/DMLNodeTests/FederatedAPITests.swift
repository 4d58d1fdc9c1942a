import DMLCore
import DMLLearning
import DMLLedger
import DMLNode
@testable import DMLServer
import DMLWorker
import Foundation
import Testing

/// Shared pieces of the federated-job tests.
enum FederatedFixtures {
    /// The digits experiments' split. Read through `runProcess`, which never blocks a thread: a
    /// blocking child-process wait inside a lazy static initializer, on a cooperative thread,
    /// stalled every concurrently running suite.
    static func experiments() async throws -> DigitsExperiments {
        let path = Fixtures.packageRoot + "/examples/algorithms/digits/data/digits.csv.gz"
        let text = try await runProcess("/bin/sh", ["-c", "gzip -dc '\(path)'"]).output
        return DigitsExperiments(all: try Dataset.csv(text, scale: 1.0 / 16))
    }

    static func json(_ value: some Encodable) throws -> Any {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
    }

    /// A plain (no secure aggregation, no DP) plan over `rounds` rounds of `devices` devices.
    static func plan(rounds: Int = 3, devices: Int = 3, minimum: Int = 2, secure: Bool = false) -> FederatedPlan {
        FederatedPlan(model: DigitsExperiments.model, strategy: .fedAvg, training: DigitsExperiments.training, rounds: rounds,
                      devicesPerRound: devices, minimumDevices: minimum,
                      secureAggregation: secure ? SecureAggregationSettings(clip: 256) : nil)
    }

    static func create(_ api: Caller, token: String, plan: FederatedPlan, dataset: String? = nil,
                       evaluation: Dataset? = nil) async throws -> Caller.Reply {
        var body: [String: Any] = ["plan": try json(plan), "rewardPerDevicePerRound": "1000000000",
                                   "deadlineMilliseconds": LedgerService.wallClockMilliseconds() + 600_000]
        if let dataset { body["dataset"] = dataset }
        if let evaluation { body["evaluationCSV"] = evaluation.csvText() }
        return try await api.post("/v1/federated", body, token: token)
    }
}

@Suite("Federated jobs through the API", .serialized)
struct FederatedAPITests {
    @Test("creating a job escrows rounds × devices × reward, keeps the plan, and refuses bad plans, missing datasets and exhausted budgets")
    func creation() async throws {
        try await APIWorld.with(.sqlite) { world in
            try await world.test { api in
                let requester = try await api.user("requester@example.org"), owner = try await api.user("owner@example.org")
                try await world.give(100, to: requester.account)
                let created = try await FederatedFixtures.create(api, token: requester.token, plan: FederatedFixtures.plan())
                #expect(created.status == .created, "\(created.json)")
                let id = try #require(created.json["id"] as? Int)
                let shown = try await api.get("/v1/federated/\(id)", token: requester.token)
                #expect(shown.string("rewardsHeld") == "9000000000")
                #expect(shown.object("planDetails")["rounds"] as? Int == 3)
                #expect(shown.json["currentRound"] == nil, "no device has started the job yet")
                #expect(try await api.get("/v1/federated?status=open", token: requester.token).json["total"] as? Int == 1)

                var broken = FederatedFixtures.plan()
                broken.minimumDevices = 9
                let refused = try await FederatedFixtures.create(api, token: requester.token, plan: broken)
                #expect(refused.status == .unprocessableContent && refused.code == "request.invalid_field")
                #expect(refused.string("message")?.contains("minimumDevices") == true)
                var krumSecure = FederatedFixtures.plan(secure: true)
                krumSecure.strategy = .krum(byzantine: 0)
                #expect(try await FederatedFixtures.create(api, token: requester.token, plan: krumSecure).status == .unprocessableContent)

                // Differential privacy spends a dataset's budget, which its owner sets first.
                var experiments = try await FederatedFixtures.experiments()
                experiments.rounds = 3
                let privatePlan = try experiments.privatePlan()
                let noDataset = try await FederatedFixtures.create(api, token: requester.token, plan: privatePlan)
                #expect(noDataset.status == .unprocessableContent && noDataset.string("message")?.contains("dataset") == true)
                let unknown = try await FederatedFixtures.create(api, token: requester.token, plan: privatePlan, dataset: "clinic/digits")
                #expect(unknown.code == "privacy.unknown_dataset")
                #expect(try await api.post("/v1/privacy/budgets", ["dataset": "clinic/digits", "epsilon": 10], token: owner.token).status == .created)
                let spent = try await FederatedFixtures.create(api, token: requester.token, plan: privatePlan, dataset: "clinic/digits")
                #expect(spent.status == .created, "\(spent.json)")
                let budget = try await api.get("/v1/privacy/budgets?dataset=clinic/digits", token: owner.token)
                #expect((budget.json["spent"] as? Double ?? 0) > 7 && (budget.json["spent"] as? Double ?? 99) <= 8.000001, "\(budget.json)")
                let over = try await FederatedFixtures.create(api, token: requester.token, plan: privatePlan, dataset: "clinic/digits")
                #expect(over.code == "privacy.budget_exceeded", "\(over.json)")
                #expect(try await api.post("/v1/privacy/budgets", ["dataset": "clinic/digits", "epsilon": 20], token: requester.token).code
                        == "privacy.not_owner")
                #expect(try await api.post("/v1/privacy/budgets", ["dataset": "Bad Name", "epsilon": 1], token: owner.token).status
                        == .unprocessableContent)
            }
        }
    }

    @Test("a device's exchange: the requester cannot train, unknown jobs are 404, out-of-turn and malformed updates are refused by name")
    func exchangeRefusals() async throws {
        // The round must still be joining when the test reads it: a ten-minute join window, so
        // that never depends on how fast a loaded machine runs the requests.
        try await APIWorld.with(.sqlite, configure: { $0.federatedJoinMilliseconds = 600_000 }) { world in
            try await world.test { api in
                let requester = try await api.user("requester@example.org"), device = try await api.user("device@example.org")
                try await world.give(100, to: requester.account)
                let created = try await FederatedFixtures.create(api, token: requester.token, plan: FederatedFixtures.plan())
                let id = try #require(created.json["id"] as? Int)
                let path = "/v1/federated/\(id)/exchange"
                #expect(try await api.post(path, ["round": 1, "phase": "join"], token: requester.token).code == "federated.requester_cannot_train")
                #expect(try await api.post("/v1/federated/99/exchange", ["round": 1, "phase": "join"], token: device.token).status == .notFound)
                #expect(try await api.post(path, ["round": 1, "phase": "dance"], token: device.token).status == .badRequest)
                let joined = try await api.post(path, ["round": 1, "phase": "join"], token: device.token)
                #expect(joined.string("status") == "wait" && joined.json["round"] as? Int == 1)
                let shown = try await api.get("/v1/federated/\(id)", token: device.token)
                #expect(shown.json["currentRound"] as? Int == 1 && shown.string("phase") == "joining" && shown.json["joined"] as? Int == 1)
                #expect(try await api.get("/v1/federated/\(id)/model", token: device.token).status == .forbidden)
                let early = try await api.post(path, ["round": 1, "phase": "update", "parameters": "AAAAAA==", "examples": 1], token: device.token)
                #expect(early.code == "federated.invalid_message" && early.string("message")?.contains("joining") == true)
                #expect(try await api.post(path, ["round": 1, "phase": "join", "waitSeconds": 99], token: device.token).status
                        == .unprocessableContent)
            }
        }
    }
}
