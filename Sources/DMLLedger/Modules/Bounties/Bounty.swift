import DMLCore

/// What a sponsor posts.
public struct BountyDraft: Hashable, Sendable, CanonicalCodable {
    /// What happens if the owner has not awarded the bounty by its evaluation deadline.
    public enum ExpiryRule: UInt8, Hashable, Sendable, CanonicalByteEnum {
        /// The escrow goes back to the owner.
        case refundOwner = 0
        /// The prize pool is split equally among those who submitted (the remainder of the
        /// division, and everything if nobody submitted, goes back to the owner).
        case splitAmongSubmitters = 1

        public static let canonicalName = "expiry rule"
    }

    public var title: String
    public var description: String
    /// Ranked prizes: prize 0 for first place, and so on.
    public var prizes: [Amount]
    /// Timestamps in milliseconds: enrollment closes (and submissions open) at `enrollmentEnd`,
    /// submissions close at `submissionEnd`, the owner must award by `evaluationDeadline`.
    public var enrollmentEnd: UInt64
    public var submissionEnd: UInt64
    public var evaluationDeadline: UInt64
    public var expiryRule: ExpiryRule

    public init(title: String, description: String, prizes: [Amount], enrollmentEnd: UInt64, submissionEnd: UInt64,
                evaluationDeadline: UInt64, expiryRule: ExpiryRule) {
        self.title = title
        self.description = description
        self.prizes = prizes
        self.enrollmentEnd = enrollmentEnd
        self.submissionEnd = submissionEnd
        self.evaluationDeadline = evaluationDeadline
        self.expiryRule = expiryRule
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(title)
        writer.write(description)
        writer.write(prizes)
        writer.write(enrollmentEnd)
        writer.write(submissionEnd)
        writer.write(evaluationDeadline)
        writer.write(expiryRule)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        title = try reader.readString(maxBytes: 4_096, "title")
        description = try reader.readString(maxBytes: 32_768, "description")
        prizes = try reader.readArray(maxCount: 256, "prizes")
        enrollmentEnd = try reader.readUInt64("enrollment end")
        submissionEnd = try reader.readUInt64("submission end")
        evaluationDeadline = try reader.readUInt64("evaluation deadline")
        expiryRule = try reader.read()
    }
}

/// A bounty on the ledger.
public struct Bounty: Hashable, Sendable, CanonicalCodable {
    public enum Status: UInt8, Hashable, Sendable, CanonicalByteEnum, CustomStringConvertible {
        case pending = 0, enrollmentOpen, enrollmentClosed, submissionsOpen, submissionsClosed, evaluated, paid, cancelled, expired

        /// No money moves out of a bounty in these states any more.
        public var isFinal: Bool { self == .paid || self == .cancelled || self == .expired }

        public var description: String {
            switch self {
            case .pending: "pending"
            case .enrollmentOpen: "enrollment open"
            case .enrollmentClosed: "enrollment closed"
            case .submissionsOpen: "submissions open"
            case .submissionsClosed: "submissions closed"
            case .evaluated: "evaluated"
            case .paid: "paid"
            case .cancelled: "cancelled"
            case .expired: "expired"
            }
        }

        public static let canonicalName = "bounty status"
    }

    public var owner: AccountID
    public var draft: BountyDraft
    public var status: Status
    /// What the escrow holds for this bounty.
    public var funded: Amount
    public var participants: UInt32
    public var submissions: UInt32
    public var winners: [AccountID]

    /// The sum of the prizes (checked at creation to fit).
    public var total: Amount { Amount.sum(draft.prizes) ?? .max }

    /// The status the dates imply at `now`: enrollment closes and submissions open at the
    /// enrollment end, submissions close at the submission end. Only ever moves forward.
    public func effectiveStatus(at now: UInt64) -> Status {
        switch status {
        case .enrollmentOpen, .enrollmentClosed, .submissionsOpen:
            if now >= draft.submissionEnd { return .submissionsClosed }
            if now >= draft.enrollmentEnd { return .submissionsOpen }
            return status
        default:
            return status
        }
    }

    public init(owner: AccountID, draft: BountyDraft) {
        self.owner = owner
        self.draft = draft
        status = .pending
        funded = .zero
        participants = 0
        submissions = 0
        winners = []
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(owner)
        writer.write(draft)
        writer.write(status)
        writer.write(funded)
        writer.write(participants)
        writer.write(submissions)
        writer.write(winners)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        owner = try reader.read()
        draft = try reader.read()
        status = try reader.read()
        funded = try reader.read()
        participants = try reader.readUInt32("participants")
        submissions = try reader.readUInt32("submissions")
        winners = try reader.readArray(maxCount: 256, "winners")
    }
}

/// A participant's enrollment, and their latest submission if any.
public struct Enrollment: Hashable, Sendable, CanonicalCodable {
    public struct Submission: Hashable, Sendable, CanonicalCodable {
        public let artifact: ContentAddress
        public let note: String
        public let height: UInt64

        public init(artifact: ContentAddress, note: String, height: UInt64) {
            self.artifact = artifact
            self.note = note
            self.height = height
        }

        public func encode(to writer: inout ByteWriter) {
            writer.write(artifact)
            writer.write(note)
            writer.write(height)
        }

        public init(from reader: inout ByteReader) throws(DecodingError) {
            artifact = try reader.read()
            note = try reader.readString(maxBytes: 4_096, "note")
            height = try reader.readUInt64("height")
        }
    }

    public let enrolledAt: UInt64
    public var submission: Submission?

    public init(enrolledAt: UInt64, submission: Submission?) {
        self.enrolledAt = enrolledAt
        self.submission = submission
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(enrolledAt)
        writer.write(submission)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        enrolledAt = try reader.readUInt64("enrolled at")
        submission = try reader.readOptional(Submission.self, "submission")
    }
}
