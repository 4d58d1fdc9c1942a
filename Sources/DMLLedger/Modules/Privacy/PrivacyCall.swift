import DMLCore

/// The calls of the Privacy module.
public enum PrivacyCall: ModuleCall, Hashable {
    /// Creates a dataset's budget (the caller becomes its owner) or changes it (owner only).
    case setBudget(DatasetName, epsilonMicros: UInt64, deltaPicosMax: UInt64)

    public static let module = ModuleID.privacy

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .setBudget(dataset, epsilon, delta):
            writer.write(UInt8(0)); writer.write(dataset); writer.write(epsilon); writer.write(delta)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("call tag") {
        case 0: self = .setBudget(try reader.read(), epsilonMicros: try reader.readUInt64("epsilon"),
                                  deltaPicosMax: try reader.readUInt64("delta max"))
        case let tag: throw .unknownTag(field: "privacy call", offset: start, tag: UInt64(tag))
        }
    }
}

/// What the Privacy module reports.
public enum PrivacyEvent: ModuleEvent, Hashable {
    case budgetSet(DatasetName, owner: AccountID, epsilonMicros: UInt64, deltaPicosMax: UInt64)
    case spent(DatasetName, by: PrivacySpender, epsilonMicros: UInt64, remainingMicros: UInt64)

    public static let module = ModuleID.privacy

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .budgetSet(dataset, owner, epsilon, delta):
            writer.write(UInt8(0)); writer.write(dataset); writer.write(owner); writer.write(epsilon); writer.write(delta)
        case let .spent(dataset, spender, epsilon, remaining):
            writer.write(UInt8(1)); writer.write(dataset); writer.write(spender); writer.write(epsilon); writer.write(remaining)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("event tag") {
        case 0: self = .budgetSet(try reader.read(), owner: try reader.read(), epsilonMicros: try reader.readUInt64("epsilon"),
                                  deltaPicosMax: try reader.readUInt64("delta max"))
        case 1: self = .spent(try reader.read(), by: try reader.read(), epsilonMicros: try reader.readUInt64("epsilon"),
                              remainingMicros: try reader.readUInt64("remaining"))
        case let tag: throw .unknownTag(field: "privacy event", offset: start, tag: UInt64(tag))
        }
    }
}

/// Why the Privacy module refused a call (or a job's spend).
public enum PrivacyError: RejectionReason {
    case notOwner(DatasetName, owner: AccountID)
    case belowSpent(DatasetName, epsilonMicros: UInt64, spentMicros: UInt64)
    case epsilonTooLarge(UInt64, max: UInt64)
    case unknownDataset(DatasetName)
    case deltaTooLarge(DatasetName, deltaPicos: UInt64, max: UInt64)
    case budgetExceeded(DatasetName, requestedMicros: UInt64, remainingMicros: UInt64)

    public var code: String {
        switch self {
        case .notOwner: "privacy.not_owner"
        case .belowSpent: "privacy.below_spent"
        case .epsilonTooLarge: "privacy.epsilon_too_large"
        case .unknownDataset: "privacy.unknown_dataset"
        case .deltaTooLarge: "privacy.delta_too_large"
        case .budgetExceeded: "privacy.budget_exceeded"
        }
    }

    public var description: String {
        switch self {
        case let .notOwner(dataset, owner): "only \(owner), the owner of \(dataset), may change its budget"
        case let .belowSpent(dataset, epsilon, spent):
            "\(dataset) has already spent ε = \(Self.format(spent)); its budget cannot go down to \(Self.format(epsilon))"
        case let .epsilonTooLarge(epsilon, max): "ε = \(Self.format(epsilon)) is above the largest budget, \(Self.format(max))"
        case .unknownDataset(let dataset): "no budget is set for dataset \(dataset); its owner sets one first"
        case let .deltaTooLarge(dataset, delta, max): "δ = \(delta)e-12 is above \(dataset)'s limit of \(max)e-12"
        case let .budgetExceeded(dataset, requested, remaining):
            "the job would spend ε = \(Self.format(requested)) of \(dataset), which has ε = \(Self.format(remaining)) left"
        }
    }

    /// ε from millionths, as a decimal.
    public static func format(_ micros: UInt64) -> String {
        let fraction = String(micros % 1_000_000)
        return "\(micros / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
    }
}
