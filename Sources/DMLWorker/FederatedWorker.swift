import DMLCore
import DMLLearning
import Foundation

/// A device in federated jobs: joins each round, trains the global model on its own data, and
/// sends its update — under secure aggregation masked, so that the server only learns the sum.
/// The data never leaves the device.
public final class FederatedWorker: Sendable {
    public struct Configuration: Sendable {
        public var server: URL
        public var dataDirectory: URL
        /// The device's labelled data: CSV, label last.
        public var input: URL
        /// Multiplies every feature (the digits' pixels 0…16: 1/16).
        public var scale: Float = 1
        public var waitSeconds = 20
        /// For experiments only: the chance that this device drops out of a round after
        /// sharing its keys (it then sends nothing more in that round).
        public var dropoutRate = 0.0

        public init(server: URL, dataDirectory: URL, input: URL) {
            self.server = server
            self.dataDirectory = dataDirectory
            self.input = input
        }
    }

    /// What the device did in one round.
    public struct RoundStep: Sendable, CustomStringConvertible {
        public let job: UInt64
        public let round: Int
        public let outcome: String
        public var description: String { "job \(job) round \(round): \(outcome)" }
    }

    public let configuration: Configuration
    public let client: DeviceClient
    let data: Dataset

    public init(_ configuration: Configuration) throws {
        self.configuration = configuration
        client = DeviceClient(server: configuration.server, key: try Worker.deviceKey(in: configuration.dataDirectory))
        data = try Dataset.csvFile(configuration.input.path, scale: configuration.scale)
    }

    var deviceID: String { client.key.account.address }

    /// Takes part in job `id` (or the newest open job) until it finishes.
    public func run(job id: UInt64? = nil, log: @Sendable (RoundStep) -> Void = { _ in }) async throws {
        try await client.signIn()
        let job: UInt64
        if let id { job = id } else { job = try await newestOpenJob() }
        let details = try JSONSerialization.jsonObject(with: try await client.send("GET", "/v1/federated/\(job)")) as? [String: Any]
        guard let planObject = details?["planDetails"],
              let plan = try? JSONDecoder().decode(FederatedPlan.self, from: JSONSerialization.data(withJSONObject: planObject)) else {
            throw WorkerError("federated job \(job) has no plan on \(configuration.server)")
        }
        guard data.features.columns == plan.model.inputs, data.labels.allSatisfy({ $0 < plan.model.classes }) else {
            throw WorkerError("the local data has \(data.features.columns) features; job \(job) needs \(plan.model.inputs) and labels below \(plan.model.classes)")
        }
        // The plan must be the one the ledger holds the digest of (what the requester paid for,
        // and what the privacy spend was computed from).
        guard try plan.canonicalJSON().digest.hex == details?["plan"] as? String else {
            throw WorkerError("the plan served for job \(job) does not match the digest on the ledger")
        }
        var round = (details?["currentRound"] as? Int) ?? ((details?["roundsRecorded"] as? Int ?? 0) + 1)
        // Counted on disk, so that a restarted worker does not train again what it already spent.
        var trainedRounds = trainedCount(job: job)
        while true {
            // The privacy guarantee counts `rounds` rounds of training per device: a device
            // never trains more, even when rounds start over.
            guard trainedRounds < plan.rounds else {
                log(RoundStep(job: job, round: round, outcome: "trained \(plan.rounds) rounds, the most the plan's guarantee covers; stopping"))
                return
            }
            let step = try await takePart(job: job, plan: plan, round: round, trained: &trainedRounds)
            log(RoundStep(job: job, round: round, outcome: step.outcome))
            guard let next = step.next else { return }
            // Sent back to the round it asked for: the server had not opened it yet.
            if next == round { try await Task.sleep(for: .milliseconds(200)) }
            round = next
        }
    }

    /// The rounds this device trained in `job` (a file in its folder).
    func trainedCount(job: UInt64) -> Int {
        let file = configuration.dataDirectory.appendingPathComponent("federated-\(job).trained")
        return (try? String(contentsOf: file, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
    }

    /// Written before the update is sent: a crash after this point costs a round, never the guarantee.
    func saveTrainedCount(_ count: Int, job: UInt64) throws {
        let file = configuration.dataDirectory.appendingPathComponent("federated-\(job).trained")
        try FileManager.default.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true)
        try Data(String(count).utf8).write(to: file, options: .atomic)
    }

    func newestOpenJob() async throws -> UInt64 {
        let page = try JSONSerialization.jsonObject(with: try await client.send("GET", "/v1/federated?status=open&limit=1")) as? [String: Any]
        guard let first = (page?["items"] as? [[String: Any]])?.first, let id = first["id"] as? UInt64 ?? (first["id"] as? Int).map(UInt64.init) else {
            throw WorkerError("there is no open federated job on \(configuration.server)")
        }
        return id
    }

    /// One round: join, train, send; returns what happened and the round to join next (nil: the job is over).
    func takePart(job: UInt64, plan: FederatedPlan, round: Int, trained trainedRounds: inout Int) async throws -> (outcome: String, next: Int?) {
        var generator = SystemRandomNumberGenerator()
        var secure: SecAggDevice?
        var join: [String: Any] = ["round": round, "phase": "join"]
        if plan.secureAggregation != nil {
            let config = try SecAggConfig(round: UInt64(round), threshold: plan.minimumDevices, vectorLength: plan.model.parameterCount + 1)
            let device = try SecAggDevice(id: deviceID, config: config)
            join["advertisement"] = try Self.json(device.advertisement)
            secure = device
        }
        var reply = try await step(job, join)
        if let other = redirect(reply, round: round) { return other }
        guard let encoded = reply.model, let bytes = Data(base64Encoded: encoded) else { throw WorkerError("round \(round) came without a model") }
        let global = try ModelWeights.decode([UInt8](bytes))
        if var device = secure {
            guard let roster = reply.roster else { throw WorkerError("round \(round) came without a roster") }
            reply = try await step(job, ["round": round, "phase": "shares", "shares": try Self.json(try device.shareKeys(roster: roster))])
            if let other = redirect(reply, round: round) { return other }
            if Double.random(in: 0..<1) < configuration.dropoutRate { return ("dropped out after sharing (experiment)", round + 1) }
            guard let delivery = reply.delivery else { throw WorkerError("round \(round) came without the share delivery") }
            let trained = DeviceRound.train(global: global, data: data, plan: plan, using: &generator)
            trainedRounds += 1
            try saveTrainedCount(trainedRounds, job: job)
            let contribution = DeviceRound.contribution(parameters: trained.parameters, global: global.parameters,
                                                        examples: data.count, plan: plan, using: &generator)
            let words = try SecureEncoding(plan: plan).encode(vector: contribution.vector, weight: contribution.weight)
            let masked = try device.maskInput(words, delivery: delivery)
            reply = try await step(job, ["round": round, "phase": "update", "masked": try Self.json(masked), "loss": trained.summary.meanLoss])
            if let other = redirect(reply, round: round) { return other }
            guard let request = reply.unmaskingRequest else { throw WorkerError("round \(round) came without an unmasking request") }
            reply = try await step(job, ["round": round, "phase": "unmask", "unmask": try Self.json(try device.unmask(request))])
        } else {
            if Double.random(in: 0..<1) < configuration.dropoutRate { return ("dropped out (experiment)", round + 1) }
            let trained = DeviceRound.train(global: global, data: data, plan: plan, using: &generator)
            trainedRounds += 1
            try saveTrainedCount(trainedRounds, job: job)
            var raw = Data(capacity: trained.parameters.count * 4)
            for value in trained.parameters { withUnsafeBytes(of: value.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
            reply = try await step(job, ["round": round, "phase": "update", "parameters": raw.base64EncodedString(),
                                         "examples": data.count, "loss": trained.summary.meanLoss])
        }
        if let other = redirect(reply, round: round) { return other }
        return ("aggregated", round + 1)
    }

    /// Where a reply other than `go`/`done` sends the device: the next round, or nowhere.
    func redirect(_ reply: Reply, round: Int) -> (outcome: String, next: Int?)? {
        switch reply.status {
        case "go", "done": nil
        case "finished": ("the job is finished", nil)
        default: ("not in round \(round): \(reply.message ?? reply.status)", max(reply.round, round))
        }
    }

    /// Sends a step and asks again (without payload) while the answer is `wait`.
    func step(_ job: UInt64, _ body: [String: Any]) async throws -> Reply {
        var body = body
        body["waitSeconds"] = configuration.waitSeconds
        var unavailable = 0
        while true {
            let data: Data
            do {
                data = try await client.send("POST", "/v1/federated/\(job)/exchange", body: body,
                                             timeout: .seconds(Int64(configuration.waitSeconds) + 30))
            } catch let failure as DeviceClient.Failure where failure.status == 503 && unavailable < 30 {
                // Another process is taking over coordination (or draining): ask again shortly.
                unavailable += 1
                try await Task.sleep(for: .seconds(1))
                continue
            }
            let reply = try JSONDecoder().decode(Reply.self, from: data)
            if reply.status != "wait" { return reply }
            // The payload was taken; a join keeps its advertisement (it may be early for its round).
            if body["phase"] as? String != "join" {
                body = ["round": body["round"]!, "phase": body["phase"]!, "waitSeconds": configuration.waitSeconds]
            }
        }
    }

    struct Reply: Decodable {
        let status: String
        let round: Int
        let message: String?
        let model: String?
        let roster: SecAggRoster?
        let delivery: SecAggShareDelivery?
        let unmaskingRequest: SecAggUnmaskingRequest?
    }

    static func json(_ value: some Encodable) throws -> Any {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
    }
}
