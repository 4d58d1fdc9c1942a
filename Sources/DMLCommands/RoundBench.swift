import ArgumentParser
import DMLCore
import DMLLearning
import DMLLedger
import DMLNode
import DMLWorker
import DMLSystem
import Foundation

/// `dml fl round-bench`: a federated job run for real — many `dml fl worker` processes on
/// loopback against one `dml serve`, each with its own share of the digits — printing the wall
/// time and the accuracy of every round. With `--workers 10 --rounds 30` it reproduces the
/// accuracy experiments through processes (`--non-iid`, `--dp`, `--dropout-rate`).
struct RoundBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "round-bench",
        abstract: "Wall time per federated round with N worker processes on loopback (build with -c release).")

    @Option(help: "Worker processes (devices per round).") var workers = 50
    @Option(help: "Rounds.") var rounds = 4
    @Flag(help: "Send plain updates instead of secure aggregation.") var plain = false
    @Flag(help: "Deal the data non-IID (Dirichlet α = 0.5) instead of IID.") var nonIid = false
    @Flag(help: "Record-level DP-SGD at ε = 8, δ = 1e-5 over the whole run.") var dp = false
    @Option(help: "Each worker's chance of dropping out of a round after sharing its keys.") var dropoutRate = 0.0
    @Option(help: "Local epochs per round (without --dp).") var epochs = 1
    @Option(help: "Seconds a phase waits for devices that dropped out.") var phaseSeconds = 60.0
    @Option(help: "The digits CSV (gzip allowed), last column the label.")
    var data = "examples/algorithms/digits/data/digits.csv.gz"

    func run() async throws {
        print("# dml fl round-bench — \(ProcessInfo.processInfo.activeProcessorCount) cores, \(AlgoBench.cpuModel())")
        let folder = NSTemporaryDirectory() + "dml-fl-bench-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let owner = AccountKey.insecureDerived(from: "fl-bench-owner")
        let spec = ChainSpec(name: "dml-fl-bench", isDevelopment: true, genesisTimestampMilliseconds: LedgerService.wallClockMilliseconds(),
                             allocations: [.init(owner.account, .tokens(1_000_000)!)], superAdmins: [owner.account])
        let chain = try await LocalChain.open(.sqlite(path: folder + "/ledger.sqlite"), spec: spec, logger: quietLogger())
        await chain.close(snapshot: true)

        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "DATABASE_URL")
        environment["DML_LOG_LEVEL"] = "warning"
        let executable = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath().path
        let server = try await ServeProcess(executable: executable, data: folder,
                                      arguments: ["--rate-limit", "0", "--bcrypt-cost", "4", "--federated-join-seconds", "120",
                                                  "--federated-phase-seconds", String(phaseSeconds)], environment: environment)
        // Stopped and waited for on every path, before the folder it writes in is removed.
        do {
            let base = URL(string: "http://127.0.0.1:\(server.port)")!

            // A requester with funds, and the job.
            let requester = DeviceClient(server: base, key: AccountKey())
            let signUp = try JSONSerialization.jsonObject(with: try await requester.send(
                "POST", "/v1/users", body: ["email": "requester@example.org", "password": "correct horse battery"], signedIn: false)) as? [String: Any]
            guard let confirmation = signUp?["confirmationToken"] as? String,
                  let account = (signUp?["user"] as? [String: Any])?["account"] as? String else { throw CommandFailure("sign-up failed") }
            _ = try await requester.send("POST", "/v1/users/confirm", body: ["token": confirmation], signedIn: false)
            let session = try JSONSerialization.jsonObject(with: try await requester.send(
                "POST", "/v1/users/login", body: ["email": "requester@example.org", "password": "correct horse battery"], signedIn: false)) as? [String: Any]
            guard let token = session?["accessToken"] as? String else { throw CommandFailure("sign-in failed") }
            requester.useToken(token)
            let funding = SignedTransaction(chain: spec.id, key: owner, nonce: 0,
                                            call: BalancesCall.transfer(to: try AccountID(address: account), amount: .tokens(10_000)!).call)
            _ = try await requester.send("POST", "/v1/ledger/transactions", body: ["transaction": Hex.encode(funding.canonicalBytes)])

            var experiments = DigitsExperiments(all: try Dataset.csvFile(data, scale: 1.0 / 16))
            experiments.devices = workers
            experiments.rounds = rounds
            var plan = dp ? try experiments.privatePlan() : experiments.plan()
            if !plain { plan.secureAggregation = SecureAggregationSettings(clip: 256) }
            if !dp { plan.training.epochs = epochs }
            plan.minimumDevices = max(2, workers * 6 / 10)
            var body: [String: Any] = [
                "plan": try JSONSerialization.jsonObject(with: JSONEncoder().encode(plan)), "rewardPerDevicePerRound": "1000000",
                "deadlineMilliseconds": LedgerService.wallClockMilliseconds() + 3_600_000,
                "evaluationCSV": experiments.test.csvText(),
            ]
            if dp {
                _ = try await requester.send("POST", "/v1/privacy/budgets", body: ["dataset": "bench/digits", "epsilon": 8])
                body["dataset"] = "bench/digits"
            }
            let created = try JSONSerialization.jsonObject(with: try await requester.send("POST", "/v1/federated", body: body)) as? [String: Any]
            guard let job = created?["id"] as? Int else { throw CommandFailure("the job was not created: \(String(describing: created))") }
            print("job \(job): \(workers) worker processes, \(rounds) rounds, secure aggregation \(plain ? "off" : "on"), \(nonIid ? "non-IID" : "IID"), "
                  + "\(dp ? "DP-SGD ε ≤ 8" : "no DP"), dropout rate \(dropoutRate), softmax regression on digits")

            let clock = ContinuousClock()
            let start = clock.now
            var processes: [ChildProcess] = []
            for (index, part) in experiments.partition(nonIID: nonIid).enumerated() {
                let input = "\(folder)/device-\(index).csv"
                try part.csvText().write(toFile: input, atomically: true, encoding: .utf8)
                processes.append(try ChildProcess.dml(
                    ["fl", "worker", "--server", base.absoluteString, "--data", "\(folder)/device-\(index)", "--input", input,
                                "--job", "\(job)", "--wait", "10", "--dropout-rate", String(dropoutRate)],
                    log: nil))
            }
            var statuses: [Int32] = []
            for process in processes { statuses.append(await process.exitStatus()) }
            let total = (clock.now - start) / .seconds(1)
            guard statuses.allSatisfy({ $0 == 0 }) else { throw CommandFailure("a worker failed") }
            let report = try JSONSerialization.jsonObject(with: try await requester.send("GET", "/v1/federated/\(job)/report?format=json")) as? [String: Any]
            let records = report?["rounds"] as? [[String: Any]] ?? []
            print("round | devices | dropouts | wall seconds | accuracy")
            print("---|---|---|---|---")
            for record in records {
                print(String(format: "%d | %d | %d | %.2f | %.4f", record["round"] as? Int ?? 0, record["devices"] as? Int ?? 0,
                             record["dropouts"] as? Int ?? 0, record["seconds"] as? Double ?? 0, record["accuracy"] as? Double ?? 0))
            }
            let later = records.dropFirst().compactMap { $0["seconds"] as? Double }
            print(String(format: "total %.1f s for %d rounds (round 1 includes starting %d processes); rounds 2…: mean %.2f s", total, records.count,
                         workers, later.reduce(0, +) / Double(max(later.count, 1))))
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
