import DMLCore
import DMLLearning
import DMLLedger
import DMLNode
import DMLSandbox
import DMLWorker
import DMLSystem
import Foundation

/// The devices' acts: a job whose algorithm runs on data that stays on each device, and
/// federated training with secure aggregation and differential privacy. The devices are
/// `DMLWorker` clients, the same code `dml worker` and `dml fl worker` run, talking HTTP.
extension MarketplaceDemo {
    func runDeviceJob(algorithm: Int) async throws -> String {
        let count = cast.devices.count
        narrator.act("A device job: \(count) devices run the digit classifier on their own images; each result is checked and paid; a report is written")
        let rows = try await files.digitsRows()
        let created = try await json(cast.requester, "POST", "/v1/jobs", [
            "algorithm": algorithm, "devices": count, "rewardPerDevice": "1000000000",
            "deadlineMilliseconds": LedgerService.wallClockMilliseconds() + 600_000,
        ] as [String: Any])
        guard let job = created["id"] as? Int else { throw CommandFailure("the job has no id") }
        narrator.done("job \(job): \(count) × 1 DML held in escrow; the server is its validator and re-runs a share of results in a child sandbox")

        var workers: [Worker] = []
        for (index, folder) in cast.deviceFolders.enumerated() {
            // Device k holds every k-th image; the label column stays in the file and is dropped.
            let input = folder.appendingPathComponent("digit-images.csv")
            try rows.enumerated().filter { $0.offset % count == index }.map(\.element).joined(separator: "\n")
                .write(to: input, atomically: true, encoding: .utf8)
            var configuration = Worker.Configuration(server: stage.base, dataDirectory: folder, input: input)
            configuration.dropColumns = 1
            configuration.waitSeconds = 5
            workers.append(try Worker(configuration))
        }
        let bar = narrator.progress("devices done", total: count)
        try await withThrowingTaskGroup(of: [Worker.Step].self) { group in
            for worker in workers { group.addTask { try await worker.run(maxJobs: 1) } }
            var finished = 0
            for try await steps in group {
                guard steps.contains(where: { $0.description.contains("accepted") }) else {
                    throw CommandFailure("a device's result was not accepted: \(steps)")
                }
                finished += 1
                bar.update(finished)
            }
        }
        let report = try await cast.requester.client.send("GET", "/v1/jobs/\(job)/report?format=json")
        let summary = try JSONSerialization.jsonObject(with: report) as? [String: Any] ?? [:]
        let counts = (summary["aggregate"] as? [Double] ?? []).map { Int($0) }
        narrator.done("all \(summary["results"] ?? 0) results accepted and paid; digits seen across the devices: "
                      + counts.enumerated().map { "\($0.offset):\($0.element)" }.joined(separator: " "))
        let html = try await cast.requester.client.send("GET", "/v1/jobs/\(job)/report?format=html")
        return try keep(html, as: "job-\(job)-report.html", what: "the device job's report (HTML, with its chart)")
    }

    // MARK: Federated training

    func runFederatedTraining() async throws -> [String] {
        let count = cast.devices.count
        narrator.act("Federated training on the digits: \(count) devices train one model together; secure aggregation hides each update, DP-SGD bounds what any record can reveal")
        var experiments = DigitsExperiments(all: try Dataset.csv(try await files.digitsRows().joined(separator: "\n"), scale: 1.0 / 16))
        experiments.devices = count
        experiments.rounds = options.federatedRounds
        var plan = try experiments.privatePlan()
        plan.secureAggregation = SecureAggregationSettings(clip: 256)
        plan.minimumDevices = max(2, count - 2)

        _ = try await json(cast.clinic, "POST", "/v1/privacy/budgets", ["dataset": "clinic/digits", "epsilon": 8])
        narrator.done("the clinic owns the dataset \"clinic/digits\" and allows at most ε = 8 over it")
        let created = try await json(cast.requester, "POST", "/v1/federated", [
            "plan": try JSONSerialization.jsonObject(with: JSONEncoder().encode(plan)),
            "rewardPerDevicePerRound": "100000000", "deadlineMilliseconds": LedgerService.wallClockMilliseconds() + 900_000,
            "dataset": "clinic/digits", "evaluationCSV": experiments.test.csvText(),
        ] as [String: Any])
        guard let job = created["id"] as? Int else { throw CommandFailure("the federated job has no id") }
        let shown = try await json(cast.requester, "GET", "/v1/federated/\(job)")
        let epsilon = shown["epsilon"] as? Double ?? .nan
        narrator.done(String(format: "federated job %d: %d rounds × %d devices × 0.1 DML in escrow; softmax model, FedAvg, DP-SGD "
                             + "(clip %.1f, noise ×%.2f) guarantees ε = %.2f at δ = 1e-5 before anyone joins",
                             job, plan.rounds, count, plan.training.differentialPrivacy?.clipNorm ?? 0, plan.training.differentialPrivacy?.noiseMultiplier ?? 0, epsilon))
        narrator.say("device-\(count) will share its keys every round and then vanish (a phone losing its signal): the round completes without it")

        // Each device trains in a process of its own (`dml fl worker`), as it would on a phone:
        // training is CPU-bound, and ten trainers inside the server's process would starve it.
        let before = await cast.devices.asyncMap { await self.stage.balance($0.account) }
        var workers: [ChildProcess] = []
        defer { workers.forEach { $0.terminate() } }
        for (index, folder) in cast.deviceFolders.enumerated() {
            let input = folder.appendingPathComponent("labelled-digits.csv")
            try experiments.partition(nonIID: false)[index].csvText().write(to: input, atomically: true, encoding: .utf8)
            workers.append(try ChildProcess.dml(
                ["fl", "worker", "--server", stage.base.absoluteString, "--data", folder.path, "--input", input.path,
                            "--job", "\(job)", "--wait", "5"] + (index == count - 1 ? ["--dropout-rate", "1"] : []),
                log: folder.appendingPathComponent("fl-worker.log")))
        }
        let rounds = plan.rounds
        let bar = narrator.progress("rounds recorded", total: rounds)
        let requester = cast.requester.client
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in workers {
                group.addTask {
                    let status = await worker.exitStatus()
                    guard status == 0 else { throw CommandFailure("a device's `dml fl worker` failed (\(status)); see its fl-worker.log") }
                }
            }
            group.addTask {
                // The requester watches the rounds being recorded on the ledger.
                while true {
                    let data = try await requester.send("GET", "/v1/federated/\(job)")
                    let view = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
                    let recorded = (view["recorded"] as? [[String: Any]]) ?? []
                    let accuracy = recorded.last?["accuracy"] as? Double
                    bar.update(recorded.count, note: accuracy.map { String(format: "accuracy %.3f", $0) } ?? "")
                    if recorded.count >= rounds || (view["status"] as? String).map({ $0 != "open" }) == true { return }
                    try await Task.sleep(for: .milliseconds(250))
                }
            }
            try await group.waitForAll()
        }
        let reportData = try await requester.send("GET", "/v1/federated/\(job)/report?format=json")
        let report = try JSONSerialization.jsonObject(with: reportData) as? [String: Any] ?? [:]
        let records = report["rounds"] as? [[String: Any]] ?? []
        let curve = records.compactMap { $0["accuracy"] as? Double }
        narrator.done("accuracy by round: " + curve.map { String(format: "%.2f", $0) }.joined(separator: " ") + "  " + Self.sparkline(curve))
        narrator.done("every round: \(records.map { "\($0["devices"] ?? "?")" }.joined(separator: ",")) devices aggregated, "
                      + "dropouts \(records.map { "\($0["dropouts"] ?? "?")" }.joined(separator: ",")); each survivor earned 0.1 DML a round, "
                      + "the vanishing device nothing")
        let after = await cast.devices.asyncMap { await self.stage.balance($0.account) }
        let earned = zip(before, after).map { $1.baseUnits - $0.baseUnits }
        let aggregated = records.compactMap { $0["devices"] as? Int }.reduce(0, +)
        guard earned.reduce(0, +) == UInt64(aggregated) * 100_000_000, earned.last == 0 else {
            throw CommandFailure("federated payments \(earned) differ from 0.1 DML per aggregated device per round")
        }
        let html = try await requester.send("GET", "/v1/federated/\(job)/report?format=html")
        let model = try await requester.send("GET", "/v1/federated/\(job)/model")
        let paths = [try keep(html, as: "federated-\(job)-report.html", what: "the federated report (HTML: accuracy, loss and devices by round, ε)"),
                     try keep(model, as: "federated-\(job)-model.dmlw", what: "the trained model (DMLW weights, docs/learning.md)")]
        let listing = try await json(cast.requester, "POST", "/v1/federated/\(job)/publish", [
            "title": "Digits classifier trained by federated devices", "description": "Softmax over 8×8 digits; FedAvg with secure aggregation and DP-SGD.",
            "price": "1000000000", "tags": ["digits", "federated"],
        ] as [String: Any])
        narrator.done("the requester listed the final model in the marketplace as algorithm \(listing["id"] ?? "?")")
        return paths
    }

    /// A one-line chart of values in 0…1.
    static func sparkline(_ values: [Double]) -> String {
        let ticks = Array("▁▂▃▄▅▆▇█")
        return String(values.map { ticks[min(ticks.count - 1, max(0, Int(($0 * Double(ticks.count)).rounded(.down))))] })
    }
}
