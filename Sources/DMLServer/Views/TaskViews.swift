import DMLBlobs
import DMLCore
import DMLLedger
import Foundation
import Hummingbird

/// `POST /v1/tasks`.
struct CreateTaskBody: Decodable {
    let kind: TaskKindBody
    let question: String
    let rewardPerResult: String
    let maxAssignments: UInt32
    /// The block height after which no assignment or result is taken and the creator may withdraw.
    let expiresAtHeight: UInt64
    let validation: TaskValidationBody
    /// Held from each worker at assignment; absent or "0" for none.
    let stakePerAssignment: String?

    func draft() throws(APIError) -> WorkTaskDraft {
        WorkTaskDraft(kind: try kind.kind(), question: question,
                      rewardPerResult: try Amounts.parse(rewardPerResult, field: "rewardPerResult"),
                      maxAssignments: maxAssignments, expiresAtHeight: expiresAtHeight, validation: try validation.validationStrategy(),
                      stakePerAssignment: try Amounts.parse(stakePerAssignment ?? "0", field: "stakePerAssignment"))
    }
}

/// A task's kind as a tagged object: `{"type": "data_annotation", "annotationType": "image",
/// "files": [...], "filesStorage": "ipfs", ...}`, `{"type": "model_contribution", "script":
/// {"path", "storage"}}` or `{"type": "model_engineering", "model": {"path", "storage"}}`.
struct TaskKindBody: Decodable {
    let type: String
    let annotationType: String?
    let files: [String]?
    let filesStorage: String?
    /// Text. Anything on the ledger is public: share only what the task's workers may see.
    let credentials: String?
    let mediaSamples: [String]?
    let classLabels: String?
    let classCoordinates: String?
    let json: String?
    let script: TaskArtifactBody?
    let model: TaskArtifactBody?

    func kind() throws(APIError) -> TaskKind {
        switch type {
        case "data_annotation":
            guard let annotationType else { throw .invalid("kind.annotationType", "image, audio, text or video") }
            guard let files else { throw .invalid("kind.files", "a data annotation task lists the files to annotate") }
            guard let filesStorage else { throw .invalid("kind.filesStorage", TaskNames.storageChoices) }
            return .dataAnnotation(type: try TaskNames.annotationType(annotationType, field: "kind.annotationType"), files: files,
                                   filesStorage: try TaskNames.storageType(filesStorage, field: "kind.filesStorage"),
                                   credentials: credentials.map { Array($0.utf8) }, mediaSamples: mediaSamples ?? [],
                                   classLabels: classLabels, classCoordinates: classCoordinates, json: json)
        case "model_contribution":
            guard let script else { throw .invalid("kind.script", "a model contribution task needs {path, storage} of its script") }
            return .modelContribution(script: try script.artifact(field: "kind.script"))
        case "model_engineering":
            guard let model else { throw .invalid("kind.model", "a model engineering task needs {path, storage} of its model") }
            return .modelEngineering(model: try model.artifact(field: "kind.model"))
        default:
            throw .invalid("kind.type", "data_annotation, model_contribution or model_engineering")
        }
    }
}

/// `{"path", "storage": "ipfs|crust|s3|gcp|azure", "credentials"?}`.
struct TaskArtifactBody: Decodable {
    let path: String
    let storage: String
    let credentials: String?

    func artifact(field: String) throws(APIError) -> StoredArtifact {
        StoredArtifact(path: path, storage: try TaskNames.storageType(storage, field: field + ".storage"),
                       credentials: credentials.map { Array($0.utf8) })
    }
}

/// `{"strategy": "auto_accept" | "manual_accept" | "custom_accept", "validator"?, "algorithm"?}`;
/// custom accept names the validator's account and the validating algorithm (a CID or hex).
struct TaskValidationBody: Decodable {
    let strategy: String
    let validator: String?
    let algorithm: String?

    func validationStrategy() throws(APIError) -> ValidationStrategy {
        switch strategy {
        case "auto_accept": return .autoAccept
        case "manual_accept": return .manualAccept
        case "custom_accept":
            guard let validator else { throw .invalid("validation.validator", "custom_accept names the validator's account") }
            guard let algorithm else { throw .invalid("validation.algorithm", "custom_accept names the validating algorithm (a CID)") }
            return .customAccept(validator: try UserRoutes.account(validator, field: "validation.validator"),
                                 algorithm: try TaskNames.contentAddress(algorithm, field: "validation.algorithm"))
        default:
            throw .invalid("validation.strategy", "auto_accept, manual_accept or custom_accept")
        }
    }
}

/// `{"inline": "..."}` or `{"stored": {"path", "storage", "credentials"?}}`: exactly one.
struct TaskResultBody: Decodable {
    let inline: String?
    let stored: TaskArtifactBody?

    func result() throws(APIError) -> TaskSubmission.Result {
        switch (inline, stored) {
        case (let text?, nil):
            guard text.utf8.count <= Tasks.resultBytesMax else {
                throw .invalid("inline", "an inline result is at most \(Tasks.resultBytesMax) bytes; store larger ones")
            }
            return .inline(text)
        case (nil, let artifact?):
            return .stored(try artifact.artifact(field: "stored"))
        default:
            throw .invalid("result", "send exactly one of inline or stored")
        }
    }
}

/// A verdict on `worker`'s result. A custom validator also sends the digests (hex) of its run
/// receipt's input and output.
struct TaskVerdictBody: Decodable {
    let worker: String
    let accept: Bool
    let inputDigest: String?
    let outputDigest: String?

    func verdict() throws(APIError) -> ValidationVerdict {
        ValidationVerdict(accept: accept, inputDigest: try Self.digest(inputDigest, field: "inputDigest"),
                          outputDigest: try Self.digest(outputDigest, field: "outputDigest"))
    }

    static func digest(_ text: String?, field: String) throws(APIError) -> Hash256? {
        guard let text else { return nil }
        guard let digest = Hash256(hex: text) else { throw .invalid(field, "a SHA-256 digest: 64 hex characters") }
        return digest
    }
}

struct TaskWorkerBody: Decodable { let worker: String }

/// The JSON names of the ledger's task enums.
enum TaskNames {
    static let storageChoices = "ipfs, crust, s3, gcp or azure"

    static func storageType(_ text: String, field: String) throws(APIError) -> StorageType {
        switch text {
        case "ipfs": .ipfs
        case "crust": .crust
        case "s3": .s3
        case "gcp": .gcp
        case "azure": .azure
        default: throw .invalid(field, storageChoices)
        }
    }

    static func name(_ type: StorageType) -> String {
        switch type {
        case .ipfs: "ipfs"
        case .crust: "crust"
        case .s3: "s3"
        case .gcp: "gcp"
        case .azure: "azure"
        }
    }

    static func annotationType(_ text: String, field: String) throws(APIError) -> AnnotationType {
        switch text {
        case "image": .image
        case "audio": .audio
        case "text": .text
        case "video": .video
        default: throw .invalid(field, "image, audio, text or video")
        }
    }

    static func name(_ type: AnnotationType) -> String {
        switch type {
        case .image: "image"
        case .audio: "audio"
        case .text: "text"
        case .video: "video"
        }
    }

    static func name(_ status: WorkTask.Status) -> String {
        switch status {
        case .created: "created"
        case .inProgress: "in_progress"
        case .completed: "completed"
        case .withdrawn: "withdrawn"
        }
    }

    static func name(_ status: TaskSubmission.Status) -> String {
        switch status {
        case .assigned: "assigned"
        case .pendingValidation: "pending_validation"
        case .accepted: "accepted"
        case .rejected: "rejected"
        case .abandoned: "abandoned"
        }
    }

    /// A CID (`b…`, stored in its binary form, as published algorithms are) or 1–128 bytes in hex.
    static func contentAddress(_ text: String, field: String) throws(APIError) -> ContentAddress {
        if let cid = ContentID(text), let address = ContentAddress(bytes: cid.bytes) { return address }
        if let bytes = Hex.decode(text), let address = ContentAddress(bytes: bytes) { return address }
        throw .invalid(field, "a CID (b…) or 1–\(ContentAddress.bytesMax) bytes in hex")
    }

    /// Credentials as text: only for the creator and the task's workers (they are public on the
    /// ledger, but this API does not spread them further).
    static func credentials(_ bytes: [UInt8]?, shown: Bool) -> String? {
        guard shown, let bytes else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

struct TaskArtifactView: Codable, Sendable {
    let path: String
    let storage: String
    /// Present only for the creator and the task's workers, and only if set.
    let credentials: String?

    init(_ artifact: StoredArtifact, showCredentials: Bool) {
        path = artifact.path
        storage = TaskNames.name(artifact.storage)
        credentials = TaskNames.credentials(artifact.credentials, shown: showCredentials)
    }
}

/// A task's kind, tagged by `type` as it is posted; fields of other kinds are absent.
struct TaskKindView: Codable, Sendable {
    let type: String
    let annotationType: String?
    let files: [String]?
    let filesStorage: String?
    let credentials: String?
    let mediaSamples: [String]?
    let classLabels: String?
    let classCoordinates: String?
    let json: String?
    let script: TaskArtifactView?
    let model: TaskArtifactView?

    init(_ kind: TaskKind, showCredentials: Bool) {
        switch kind {
        case let .dataAnnotation(type, files, filesStorage, credentials, mediaSamples, classLabels, classCoordinates, json):
            self.init(type: "data_annotation", annotationType: TaskNames.name(type), files: files, filesStorage: TaskNames.name(filesStorage),
                      credentials: TaskNames.credentials(credentials, shown: showCredentials), mediaSamples: mediaSamples,
                      classLabels: classLabels, classCoordinates: classCoordinates, json: json, script: nil, model: nil)
        case .modelContribution(let artifact):
            self.init(type: "model_contribution", annotationType: nil, files: nil, filesStorage: nil, credentials: nil, mediaSamples: nil,
                      classLabels: nil, classCoordinates: nil, json: nil,
                      script: TaskArtifactView(artifact, showCredentials: showCredentials), model: nil)
        case .modelEngineering(let artifact):
            self.init(type: "model_engineering", annotationType: nil, files: nil, filesStorage: nil, credentials: nil, mediaSamples: nil,
                      classLabels: nil, classCoordinates: nil, json: nil,
                      script: nil, model: TaskArtifactView(artifact, showCredentials: showCredentials))
        }
    }

    init(type: String, annotationType: String?, files: [String]?, filesStorage: String?, credentials: String?, mediaSamples: [String]?,
         classLabels: String?, classCoordinates: String?, json: String?, script: TaskArtifactView?, model: TaskArtifactView?) {
        self.type = type
        self.annotationType = annotationType
        self.files = files
        self.filesStorage = filesStorage
        self.credentials = credentials
        self.mediaSamples = mediaSamples
        self.classLabels = classLabels
        self.classCoordinates = classCoordinates
        self.json = json
        self.script = script
        self.model = model
    }
}

/// One task, from the ledger's current state.
struct TaskView: Codable, Sendable {
    struct Validation: Codable, Sendable {
        /// `auto_accept`, `manual_accept` or `custom_accept`.
        let strategy: String
        let validator: String?
        let algorithm: String?
    }

    /// How many of the task's assignments are in each state.
    struct Counts: Codable, Sendable {
        let assigned: Int
        let pendingValidation: Int
        let accepted: Int
        let rejected: Int
        let abandoned: Int
    }

    let id: UInt64
    let creator: String
    let kind: TaskKindView
    let question: String
    let rewardPerResult: String
    let maxAssignments: UInt32
    let expiresAtHeight: UInt64
    let validation: Validation
    let stakePerAssignment: String
    /// `created`, `in_progress`, `completed` or `withdrawn`.
    let status: String
    let createdAtHeight: UInt64
    let assignments: UInt32
    let accepted: UInt32
    /// Details only (`GET /v1/tasks/:id`): lists leave it out, as it reads every assignment.
    let results: Counts?
    /// What the reward escrow holds now.
    let rewardsHeld: String
    /// Whether the next block can still take an assignment (open status, a free slot, not expired).
    let acceptingWork: Bool
    /// The signed-in viewer's own assignment's status; absent if none or anonymous.
    let viewerSubmission: String?

    init?(id: Identifier<WorkTask>, viewer: AccountID?, detail: Bool, in state: CallContext) {
        guard let task = Tasks.task(id, in: state) else { return nil }
        let own = viewer.flatMap { Tasks.submission(on: id, by: $0, in: state) }
        let draft = task.draft
        self.id = id.rawValue
        creator = task.creator.address
        kind = TaskKindView(draft.kind, showCredentials: own != nil || (viewer != nil && viewer == task.creator))
        question = draft.question
        rewardPerResult = String(draft.rewardPerResult.baseUnits)
        maxAssignments = draft.maxAssignments
        expiresAtHeight = draft.expiresAtHeight
        validation = switch draft.validation {
        case .autoAccept: Validation(strategy: "auto_accept", validator: nil, algorithm: nil)
        case .manualAccept: Validation(strategy: "manual_accept", validator: nil, algorithm: nil)
        case let .customAccept(validator, algorithm):
            Validation(strategy: "custom_accept", validator: validator.address, algorithm: AlgorithmView.text(algorithm))
        }
        stakePerAssignment = String(draft.stakePerAssignment.baseUnits)
        status = TaskNames.name(task.status)
        createdAtHeight = task.createdAtHeight
        assignments = task.assignments
        accepted = task.accepted
        if detail {
            let statuses = Tasks.results(of: id, offset: 0, limit: Int(Tasks.maxAssignmentsMax), in: state).page
                .compactMap { Tasks.submission($0, in: state)?.status }
            func number(_ status: TaskSubmission.Status) -> Int { statuses.filter { $0 == status }.count }
            results = Counts(assigned: number(.assigned), pendingValidation: number(.pendingValidation), accepted: number(.accepted),
                             rejected: number(.rejected), abandoned: number(.abandoned))
        } else {
            results = nil
        }
        rewardsHeld = String(task.rewardsHeld.baseUnits)
        // The next block is at `state.height + 1`; it takes assignments only below the expiry height.
        let open = task.status == .created || task.status == .inProgress
        acceptingWork = open && task.assignments < draft.maxAssignments
            && state.height < draft.expiresAtHeight && draft.expiresAtHeight - state.height > 1
        viewerSubmission = own.map { TaskNames.name($0.submission.status) }
    }
}

/// A worker's assignment on a task and its result, if sent.
struct TaskResultView: Codable, Sendable {
    struct Content: Codable, Sendable {
        let inline: String?
        let stored: TaskArtifactView?
    }

    /// The ledger's submission identifier (events name it).
    let submission: UInt64
    let worker: String
    /// `assigned`, `pending_validation`, `accepted`, `rejected` or `abandoned`.
    let status: String
    let assignedAtHeight: UInt64
    let stake: String
    let result: Content?
    let paidAmount: String?
    let paidAtHeight: UInt64?

    init(id: Identifier<TaskSubmission>, _ submission: TaskSubmission) {
        self.submission = id.rawValue
        worker = submission.worker.address
        status = TaskNames.name(submission.status)
        assignedAtHeight = submission.assignedAtHeight
        stake = String(submission.stake.baseUnits)
        result = submission.result.map { sent -> Content in
            switch sent {
            case .inline(let text): Content(inline: text, stored: nil)
            case .stored(let artifact): Content(inline: nil, stored: TaskArtifactView(artifact, showCredentials: true))
            }
        }
        paidAmount = submission.paidAmount.map { String($0.baseUnits) }
        paidAtHeight = submission.paidAtHeight
    }
}
