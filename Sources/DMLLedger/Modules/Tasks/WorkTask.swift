import DMLCore

/// Where an artifact of a task lives (seed 003's `StorageType`, same order).
public enum StorageType: UInt8, Hashable, Sendable, CanonicalByteEnum {
    case ipfs = 0, crust, s3, gcp, azure

    public static let canonicalName = "storage type"
}

/// What kind of media an annotation task labels (seed 003's `AnnotationType`).
public enum AnnotationType: UInt8, Hashable, Sendable, CanonicalByteEnum {
    case image = 0, audio, text, video

    public static let canonicalName = "annotation type"
}

/// A stored artifact: a path, where it is stored, and (optionally) access credentials.
///
/// Credentials are kept because the original kept them, but never printed: `description`
/// redacts them. Anything on the ledger is public; clients should store only credentials
/// meant to be shared with the task's workers (or encrypt them).
public struct StoredArtifact: Hashable, Sendable, CanonicalCodable, CustomStringConvertible, CustomDebugStringConvertible {
    public let path: String
    public let storage: StorageType
    public let credentials: [UInt8]?

    public init(path: String, storage: StorageType, credentials: [UInt8]? = nil) {
        self.path = path
        self.storage = storage
        self.credentials = credentials
    }

    public var description: String { "\(storage) \(path)\(credentials == nil ? "" : " (credentials redacted)")" }
    /// Redacted too: values nested in other values print through this.
    public var debugDescription: String { description }

    public func encode(to writer: inout ByteWriter) {
        writer.write(path)
        writer.write(storage)
        writer.write(credentials.map(VariableBytes.init))
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        path = try reader.readString(maxBytes: 4_096, "path")
        storage = try reader.read()
        credentials = try reader.readOptional(VariableBytes.self, "credentials")?.bytes
    }
}

/// Variable-length bytes as a canonical value (u32 length, then the bytes).
public struct VariableBytes: Hashable, Sendable, CanonicalCodable {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public func encode(to writer: inout ByteWriter) { writer.writeVariable(bytes) }
    public init(from reader: inout ByteReader) throws(DecodingError) { bytes = try reader.readVariable(maxBytes: 1 << 16, "bytes") }
}

/// The three DecentralML task types and the fields each one requires.
public enum TaskKind: Hashable, Sendable, CanonicalCodable {
    /// Label media: the files to annotate are required; samples, labels, coordinates and JSON
    /// instructions are optional.
    case dataAnnotation(type: AnnotationType, files: [String], filesStorage: StorageType, credentials: [UInt8]?,
                        mediaSamples: [String], classLabels: String?, classCoordinates: String?, json: String?)
    /// Train on one's own data with the given script.
    case modelContribution(script: StoredArtifact)
    /// Improve a model stored at the given place.
    case modelEngineering(model: StoredArtifact)

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .dataAnnotation(type, files, filesStorage, credentials, mediaSamples, classLabels, classCoordinates, json):
            writer.write(UInt8(0)); writer.write(type)
            writer.write(UInt32(files.count)); for file in files { writer.write(file) }
            writer.write(filesStorage); writer.write(credentials.map(VariableBytes.init))
            writer.write(UInt32(mediaSamples.count)); for sample in mediaSamples { writer.write(sample) }
            writer.write(classLabels.map(Text.init)); writer.write(classCoordinates.map(Text.init)); writer.write(json.map(Text.init))
        case .modelContribution(let script): writer.write(UInt8(1)); writer.write(script)
        case .modelEngineering(let model): writer.write(UInt8(2)); writer.write(model)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("task type") {
        case 0:
            let type: AnnotationType = try reader.read()
            let files = try Self.readStrings(&reader, "annotation files")
            let storage: StorageType = try reader.read()
            let credentials = try reader.readOptional(VariableBytes.self, "credentials")?.bytes
            let samples = try Self.readStrings(&reader, "media samples")
            self = .dataAnnotation(type: type, files: files, filesStorage: storage, credentials: credentials, mediaSamples: samples,
                                   classLabels: try reader.readOptional(Text.self, "class labels")?.value,
                                   classCoordinates: try reader.readOptional(Text.self, "class coordinates")?.value,
                                   json: try reader.readOptional(Text.self, "json")?.value)
        case 1: self = .modelContribution(script: try reader.read())
        case 2: self = .modelEngineering(model: try reader.read())
        case let tag: throw .unknownTag(field: "task type", offset: start, tag: UInt64(tag))
        }
    }

    private static func readStrings(_ reader: inout ByteReader, _ field: StaticString) throws(DecodingError) -> [String] {
        let start = reader.offset
        let count = try reader.readUInt32(field)
        guard count <= 1_000 else { throw .tooLong(field: "\(field)", offset: start, length: Int(count), max: 1_000) }
        var strings: [String] = []
        for _ in 0..<count { strings.append(try reader.readString(maxBytes: 4_096, field)) }
        return strings
    }
}

/// A string as a canonical value.
public struct Text: Hashable, Sendable, CanonicalCodable {
    public let value: String
    public init(_ value: String) { self.value = value }
    public func encode(to writer: inout ByteWriter) { writer.write(value) }
    public init(from reader: inout ByteReader) throws(DecodingError) { value = try reader.readString(maxBytes: 8_192, "text") }
}

/// How a task's results are accepted — promised by seed 003, never built there.
public enum ValidationStrategy: Hashable, Sendable, CanonicalCodable {
    /// Paid as soon as the result is sent.
    case autoAccept
    /// The creator accepts or rejects each result.
    case manualAccept
    /// Only `validator`'s verdict, from running `algorithm` (a sandboxed validator), counts;
    /// the verdict carries the run receipt's digests.
    case customAccept(validator: AccountID, algorithm: ContentAddress)

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case .autoAccept: writer.write(UInt8(0))
        case .manualAccept: writer.write(UInt8(1))
        case let .customAccept(validator, algorithm): writer.write(UInt8(2)); writer.write(validator); writer.write(algorithm)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("validation strategy") {
        case 0: self = .autoAccept
        case 1: self = .manualAccept
        case 2: self = .customAccept(validator: try reader.read(), algorithm: try reader.read())
        case let tag: throw .unknownTag(field: "validation strategy", offset: start, tag: UInt64(tag))
        }
    }
}

/// What a requester posts.
public struct WorkTaskDraft: Hashable, Sendable, CanonicalCodable {
    public var kind: TaskKind
    public var question: String
    /// Paid for each accepted result; `rewardPerResult × maxAssignments` is escrowed at creation.
    public var rewardPerResult: Amount
    public var maxAssignments: UInt32
    /// The height after which nothing can be assigned or sent, and the creator may withdraw.
    public var expiresAtHeight: UInt64
    public var validation: ValidationStrategy
    /// Held from each worker at assignment; returned on acceptance, forfeited to the creator on
    /// rejection or abandonment. Zero for none.
    public var stakePerAssignment: Amount

    public init(kind: TaskKind, question: String, rewardPerResult: Amount, maxAssignments: UInt32, expiresAtHeight: UInt64,
                validation: ValidationStrategy, stakePerAssignment: Amount = .zero) {
        self.kind = kind
        self.question = question
        self.rewardPerResult = rewardPerResult
        self.maxAssignments = maxAssignments
        self.expiresAtHeight = expiresAtHeight
        self.validation = validation
        self.stakePerAssignment = stakePerAssignment
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(kind)
        writer.write(question)
        writer.write(rewardPerResult)
        writer.write(maxAssignments)
        writer.write(expiresAtHeight)
        writer.write(validation)
        writer.write(stakePerAssignment)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        kind = try reader.read()
        question = try reader.readString(maxBytes: 8_192, "question")
        rewardPerResult = try reader.read()
        maxAssignments = try reader.readUInt32("max assignments")
        expiresAtHeight = try reader.readUInt64("expiration")
        validation = try reader.read()
        stakePerAssignment = try reader.read()
    }
}

/// A DecentralML task on the ledger ("WorkTask": never Swift's `Task`).
public struct WorkTask: Hashable, Sendable, CanonicalCodable {
    public enum Status: UInt8, Hashable, Sendable, CanonicalByteEnum {
        case created = 0, inProgress, completed, withdrawn

        public static let canonicalName = "task status"
    }

    public var creator: AccountID
    public var draft: WorkTaskDraft
    public var status: Status
    public var createdAtHeight: UInt64
    public var assignments: UInt32
    public var accepted: UInt32
    /// What the reward escrow holds.
    public var rewardsHeld: Amount

    public init(creator: AccountID, draft: WorkTaskDraft, height: UInt64, rewardsHeld: Amount) {
        self.creator = creator
        self.draft = draft
        status = .created
        createdAtHeight = height
        assignments = 0
        accepted = 0
        self.rewardsHeld = rewardsHeld
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(creator); writer.write(draft); writer.write(status); writer.write(createdAtHeight)
        writer.write(assignments); writer.write(accepted); writer.write(rewardsHeld)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        creator = try reader.read(); draft = try reader.read(); status = try reader.read()
        createdAtHeight = try reader.readUInt64("created at"); assignments = try reader.readUInt32("assignments")
        accepted = try reader.readUInt32("accepted"); rewardsHeld = try reader.read()
    }
}

/// A worker's slot on a task and what became of it (seed 003's `TaskResultSubmission`).
public struct TaskSubmission: Hashable, Sendable, CanonicalCodable {
    public enum Status: UInt8, Hashable, Sendable, CanonicalByteEnum {
        case assigned = 0, pendingValidation, accepted, rejected, abandoned

        public static let canonicalName = "submission status"
    }

    /// A result: inline (≤ 2 048 bytes) or a stored artifact.
    public enum Result: Hashable, Sendable, CanonicalCodable {
        case inline(String)
        case stored(StoredArtifact)

        public func encode(to writer: inout ByteWriter) {
            switch self {
            case .inline(let text): writer.write(UInt8(0)); writer.write(text)
            case .stored(let artifact): writer.write(UInt8(1)); writer.write(artifact)
            }
        }

        public init(from reader: inout ByteReader) throws(DecodingError) {
            let start = reader.offset
            switch try reader.readUInt8("result kind") {
            case 0: self = .inline(try reader.readString(maxBytes: 8_192, "result"))
            case 1: self = .stored(try reader.read())
            case let tag: throw .unknownTag(field: "result kind", offset: start, tag: UInt64(tag))
            }
        }
    }

    public let task: Identifier<WorkTask>
    public let worker: AccountID
    public let assignedAtHeight: UInt64
    public var result: Result?
    public var status: Status
    public var stake: Amount
    public var paidAmount: Amount?
    public var paidAtHeight: UInt64?

    public init(task: Identifier<WorkTask>, worker: AccountID, assignedAtHeight: UInt64, stake: Amount) {
        self.task = task
        self.worker = worker
        self.assignedAtHeight = assignedAtHeight
        result = nil
        status = .assigned
        self.stake = stake
        paidAmount = nil
        paidAtHeight = nil
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(task); writer.write(worker); writer.write(assignedAtHeight); writer.write(result)
        writer.write(status); writer.write(stake); writer.write(paidAmount); writer.write(paidAtHeight)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        task = try reader.read(); worker = try reader.read(); assignedAtHeight = try reader.readUInt64("assigned at")
        result = try reader.readOptional(Result.self, "result"); status = try reader.read(); stake = try reader.read()
        paidAmount = try reader.readOptional(Amount.self, "paid amount"); paidAtHeight = try reader.readOptional(UInt64.self, "paid at")
    }
}

/// What a custom validator reports: its verdict and the digests of the validator's run receipt.
public struct ValidationVerdict: Hashable, Sendable, CanonicalCodable {
    public let accept: Bool
    public let inputDigest: Hash256?
    public let outputDigest: Hash256?

    public init(accept: Bool, inputDigest: Hash256? = nil, outputDigest: Hash256? = nil) {
        self.accept = accept
        self.inputDigest = inputDigest
        self.outputDigest = outputDigest
    }

    public func encode(to writer: inout ByteWriter) { writer.write(accept); writer.write(inputDigest); writer.write(outputDigest) }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        accept = try reader.readBool("accept")
        inputDigest = try reader.readOptional(Hash256.self, "input digest")
        outputDigest = try reader.readOptional(Hash256.self, "output digest")
    }
}
