import DMLCore
import DMLLedger
import DMLSandbox

/// A job as the API shows it: the ledger's record, plus how many leases are live.
struct JobView: Codable, Sendable {
    let id: UInt64
    let requester: String
    let status: String
    /// SHA-256 of the algorithm package (what receipts name).
    let algorithm: String
    /// The package's CID in the artifact store; fetch it from `/v1/jobs/{id}/package`.
    let artifact: String
    let devices: UInt32
    let accepted: UInt32
    let rewardPerDevice: String
    let rewardsHeld: String
    let deadlineMilliseconds: UInt64
    let validator: String
    let requirements: String
    let createdAtHeight: UInt64
    let reportDigest: String?
    let liveLeases: Int?

    init(id: Identifier<Job>, job: Job, liveLeases: Int? = nil) {
        self.id = id.rawValue
        requester = job.requester.address
        status = "\(job.status)"
        algorithm = job.draft.algorithm.hex
        artifact = JobService.cid(job.draft.artifact)
        devices = job.draft.devices
        accepted = job.accepted
        rewardPerDevice = String(job.draft.rewardPerDevice.baseUnits)
        rewardsHeld = String(job.rewardsHeld.baseUnits)
        deadlineMilliseconds = job.draft.deadline
        validator = job.draft.validator.address
        requirements = job.draft.requirements
        createdAtHeight = job.createdAtHeight
        reportDigest = job.report?.hex
        self.liveLeases = liveLeases
    }
}

struct CreateJobBody: Decodable {
    /// A marketplace algorithm id; its current artifact must be an algorithm package.
    let algorithm: UInt64
    let devices: UInt32
    let rewardPerDevice: String
    /// Block time (ms since 1970) after which unpaid rewards can be refunded.
    let deadlineMilliseconds: UInt64
    let requirements: String?
}

struct WorkBody: Decodable {
    /// How long to wait for work before answering 204 (0–25 s).
    let waitSeconds: Int?
}

/// A lease: the work a device got.
struct WorkView: Codable, Sendable {
    let lease: String
    let job: UInt64
    /// Sign receipts with this nonce (hex).
    let nonce: String
    let expiresAtMilliseconds: UInt64
    let algorithm: String
    let artifact: String
    let package: String
    let manifest: ManifestSummary
    /// When present, also run the algorithm on these bytes (base64) and send the result as
    /// `challenge`: the server re-runs it and compares.
    let challenge: String?
}

struct ManifestSummary: Codable, Sendable {
    let name: String
    let version: String
    let inputFormat: String
    let columns: Int?
    let fields: [String]
    let aggregation: String

    init(_ manifest: AlgorithmManifest) {
        name = manifest.name
        version = manifest.version
        inputFormat = manifest.input.format.rawValue
        columns = manifest.input.columns
        fields = manifest.output.fields
        aggregation = manifest.aggregation.rawValue
    }
}

struct ResultBody: Decodable {
    let lease: String
    /// The output bytes, base64.
    let output: String
    let receipt: RunReceipt
    let challenge: ChallengeAnswer?
    /// Optional: the device's input, base64, disclosed so the server re-runs the real run.
    let auditInput: String?
}

struct ChallengeAnswer: Decodable {
    let output: String
    let receipt: RunReceipt
}

struct ResultView: Codable, Sendable {
    let job: UInt64
    let device: String
    let output: [Double]?
    let outputDigest: String
    let receipt: String
    let challenged: Bool
    let audited: Bool
    let transaction: String
    let height: UInt64
    let createdAtMilliseconds: UInt64
}

struct AcceptedView: Codable, Sendable {
    let job: UInt64
    let device: String
    let paid: String
    let challenged: Bool
    let audited: Bool
    let transaction: TransactionReceipt
}
