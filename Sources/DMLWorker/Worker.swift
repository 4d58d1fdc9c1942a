import DMLCore
import DMLSandbox
import Foundation

/// The device: asks the server for work, fetches and verifies the algorithm, runs it on its own
/// data in the sandbox, and sends the output with a signed receipt. The data never leaves the
/// device unless `discloseForAudit` is set.
///
/// A library so that an app can embed it; `dml worker` is its command line. Its folder holds
/// the device key (`device.key`, created on first start, owner-only) and verified packages
/// (`packages/<address>.json`).
public final class Worker: Sendable {
    public struct Configuration: Sendable {
        public var server: URL
        public var dataDirectory: URL
        /// The device's data: a CSV of numbers (header optional), or any file for `bytes` inputs.
        public var input: URL
        /// Columns dropped from the right of each CSV row (a label the algorithm must not see).
        public var dropColumns = 0
        public var waitSeconds = 20
        /// Send the input with the result, so the server re-runs the real run (opt-in).
        public var discloseForAudit = false

        public init(server: URL, dataDirectory: URL, input: URL) {
            self.server = server
            self.dataDirectory = dataDirectory
            self.input = input
        }
    }

    /// What one turn of the loop did.
    public enum Step: Sendable, Equatable, CustomStringConvertible {
        case noWork
        case paid(job: UInt64, amount: String, transaction: String)
        case runFailed(job: UInt64, RunOutcome)
        case refused(job: UInt64, code: String, message: String)

        public var description: String {
            switch self {
            case .noWork: "no work"
            case let .paid(job, amount, transaction): "job \(job): result accepted, paid \(amount) base units (transaction \(transaction))"
            case let .runFailed(job, outcome): "job \(job): the run failed: \(outcome)"
            case let .refused(job, code, message): "job \(job): result refused: \(code): \(message)"
            }
        }
    }

    public let configuration: Configuration
    public let client: DeviceClient
    let runner: any AlgorithmRunner
    let onLease: @Sendable (UInt64) -> Void

    /// - Parameters:
    ///   - runner: the sandbox; a `ChildProcessSandbox` adds a wall-clock bound.
    ///   - onLease: told each job id the device starts working on (logs, tests).
    public init(_ configuration: Configuration, runner: any AlgorithmRunner = InProcessRunner(),
                onLease: @escaping @Sendable (UInt64) -> Void = { _ in }) throws {
        self.configuration = configuration
        self.runner = runner
        self.onLease = onLease
        client = DeviceClient(server: configuration.server, key: try Self.deviceKey(in: configuration.dataDirectory))
    }

    /// The device key in `folder/device.key` (hex seed), created owner-only on first use.
    public static func deviceKey(in folder: URL) throws -> AccountKey {
        let file = folder.appendingPathComponent("device.key")
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            guard let seed = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw WorkerError("\(file.path) does not hold a hex key")
            }
            return try AccountKey(seed: seed)
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let key = AccountKey()
        guard FileManager.default.createFile(atPath: file.path, contents: Data(Hex.encode(key.seed).utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw WorkerError("cannot write \(file.path)")
        }
        return key
    }

    /// Works until `maxJobs` results were sent, or until no work came for one long-poll when
    /// `stopWhenIdle`; returns every step.
    public func run(maxJobs: Int? = nil, stopWhenIdle: Bool = false, log: @Sendable (Step) -> Void = { _ in }) async throws -> [Step] {
        try await client.signIn()
        var steps: [Step] = []
        while maxJobs.map({ steps.filter { $0 != .noWork }.count < $0 }) ?? true {
            let step = try await runOnce()
            log(step)
            steps.append(step)
            if step == .noWork && stopWhenIdle { break }
        }
        return steps
    }

    /// Asks for one piece of work and does it.
    public func runOnce() async throws -> Step {
        let (status, data) = try await client.exchange("POST", "/v1/jobs/work", body: ["waitSeconds": configuration.waitSeconds],
                                                       timeout: .seconds(Int64(configuration.waitSeconds) + 30))
        if status == 401 {
            try await client.signIn()
            return try await runOnce()
        }
        if status == 204 { return .noWork }
        let work = try JSONDecoder().decode(Work.self, from: try DeviceClient.check(status, data))
        onLease(work.job)
        let package = try await package(for: work)
        let input = try localInput(for: package.manifest)
        guard let nonce = Hash256(hex: work.nonce) else { throw WorkerError("the lease's nonce is not hex") }
        let result = await runner.run(package, input: input)
        guard result.outcome == .completed else {
            // Asking again at once would get the same lease and fail the same way: let it lapse
            // first, so a failing job costs one run per lease period, not a busy loop.
            let now = UInt64(Date().timeIntervalSince1970 * 1_000)
            if work.expiresAtMilliseconds > now {
                try? await Task.sleep(for: .milliseconds(min(work.expiresAtMilliseconds - now, 600_000)))
            }
            return .runFailed(job: work.job, result.outcome)
        }
        let receipt = RunReceipt(result: result, algorithm: package.address, nonce: nonce, key: client.key)
        var body: [String: Any] = [
            "lease": work.lease,
            "output": Data(result.output).base64EncodedString(),
            "receipt": try Self.json(receipt),
        ]
        if let challengeText = work.challenge, let challenge = Data(base64Encoded: challengeText) {
            let answer = await runner.run(package, input: [UInt8](challenge))
            body["challenge"] = [
                "output": Data(answer.output).base64EncodedString(),
                "receipt": try Self.json(RunReceipt(result: answer, algorithm: package.address, nonce: nonce, key: client.key)),
            ]
        }
        if configuration.discloseForAudit { body["auditInput"] = Data(input).base64EncodedString() }
        do {
            let reply = try await client.send("POST", "/v1/jobs/\(work.job)/results", body: body)
            let accepted = try JSONSerialization.jsonObject(with: reply) as? [String: Any]
            let transaction = (accepted?["transaction"] as? [String: Any])?["hash"] as? String ?? ""
            return .paid(job: work.job, amount: accepted?["paid"] as? String ?? "", transaction: transaction)
        } catch let failure as DeviceClient.Failure {
            return .refused(job: work.job, code: failure.code, message: failure.message)
        }
    }

    /// The job's package: from the cache, or downloaded and checked against the job's address.
    func package(for work: Work) async throws -> AlgorithmPackage {
        let folder = configuration.dataDirectory.appendingPathComponent("packages")
        let file = folder.appendingPathComponent("\(work.algorithm).json")
        if let cached = try? Data(contentsOf: file), let package = try? AlgorithmPackage(bytes: [UInt8](cached)),
           package.address.hex == work.algorithm {
            return package
        }
        let bytes = [UInt8](try await client.send("GET", work.package))
        let package = try AlgorithmPackage(bytes: bytes)
        guard package.address.hex == work.algorithm else {
            throw WorkerError("the package downloaded for job \(work.job) does not hash to \(work.algorithm); refusing to run it")
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(bytes).write(to: file, options: .atomic)
        return package
    }

    /// The device's data in the algorithm's input format.
    func localInput(for manifest: AlgorithmManifest) throws -> [UInt8] {
        let data = try Data(contentsOf: configuration.input)
        return try InputCodec.input(fromFile: [UInt8](data), schema: manifest.input, dropColumns: configuration.dropColumns)
    }

    static func json(_ value: some Encodable) throws -> Any {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
    }

    struct Work: Decodable {
        let lease: String
        let job: UInt64
        let nonce: String
        let expiresAtMilliseconds: UInt64
        let algorithm: String
        let package: String
        let challenge: String?
    }
}

public struct WorkerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
