import DMLCore

/// What a requester asks for: an algorithm (its package address), how many devices should run
/// it, what each accepted result earns, until when, and who judges results.
public struct JobDraft: Hashable, Sendable, CanonicalCodable {
    /// SHA-256 of the algorithm package file (what run receipts name).
    public var algorithm: Hash256
    /// Where the package file is stored (its CID, as the artifact store names it).
    public var artifact: ContentAddress
    public var devices: UInt32
    public var rewardPerDevice: Amount
    /// Block time (ms) after which no device is paid and the rest can be refunded.
    public var deadline: UInt64
    /// The account whose `accept` calls pay devices: the API server's validator, which checks
    /// each result (schema, receipt signature, re-execution) before it signs.
    public var validator: AccountID
    /// Free-form device requirements (for example "ram>=2GB"), shown to devices.
    public var requirements: String

    public init(algorithm: Hash256, artifact: ContentAddress, devices: UInt32, rewardPerDevice: Amount, deadline: UInt64, validator: AccountID,
                requirements: String = "") {
        self.algorithm = algorithm
        self.artifact = artifact
        self.devices = devices
        self.rewardPerDevice = rewardPerDevice
        self.deadline = deadline
        self.validator = validator
        self.requirements = requirements
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(algorithm)
        writer.write(artifact)
        writer.write(devices)
        writer.write(rewardPerDevice)
        writer.write(deadline)
        writer.write(validator)
        writer.write(requirements)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        algorithm = try reader.read()
        artifact = try reader.read()
        devices = try reader.readUInt32("devices")
        rewardPerDevice = try reader.read()
        deadline = try reader.readUInt64("deadline")
        validator = try reader.read()
        // Decoding allows more than the rule, so that a long field gets the named rejection.
        requirements = try reader.readString(maxBytes: 4_096, "requirements")
    }
}

/// A job on the ledger.
public struct Job: Hashable, Sendable, CanonicalCodable {
    public enum Status: UInt8, Hashable, Sendable, CanonicalByteEnum {
        /// Taking results.
        case open = 0
        /// Every device slot was paid.
        case completed
        /// Closed after the deadline; what was unpaid went back to the requester.
        case closed

        public static let canonicalName = "job status"
    }

    public var requester: AccountID
    public var draft: JobDraft
    public var status: Status
    public var createdAtHeight: UInt64
    public var accepted: UInt32
    /// What the reward escrow holds: `rewardPerDevice × (devices − accepted)` while open.
    public var rewardsHeld: Amount
    /// The digest of the aggregate report the validator recorded, if any.
    public var report: Hash256?

    public init(requester: AccountID, draft: JobDraft, height: UInt64, rewardsHeld: Amount) {
        self.requester = requester
        self.draft = draft
        self.status = .open
        self.createdAtHeight = height
        self.accepted = 0
        self.rewardsHeld = rewardsHeld
        self.report = nil
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(requester)
        writer.write(draft)
        writer.write(status)
        writer.write(createdAtHeight)
        writer.write(accepted)
        writer.write(rewardsHeld)
        writer.write(report)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        requester = try reader.read()
        draft = try reader.read()
        status = try reader.read()
        createdAtHeight = try reader.readUInt64("created at")
        accepted = try reader.readUInt32("accepted")
        rewardsHeld = try reader.read()
        report = try reader.readOptional(Hash256.self, "report")
    }
}

/// One paid result: which receipt and output the validator accepted for a device.
public struct JobPayment: Hashable, Sendable, CanonicalCodable {
    public var receipt: Hash256
    public var output: Hash256
    public var paid: Amount
    public var height: UInt64

    public init(receipt: Hash256, output: Hash256, paid: Amount, height: UInt64) {
        self.receipt = receipt
        self.output = output
        self.paid = paid
        self.height = height
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(receipt)
        writer.write(output)
        writer.write(paid)
        writer.write(height)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        receipt = try reader.read()
        output = try reader.read()
        paid = try reader.read()
        height = try reader.readUInt64("height")
    }
}
