import DMLCore

/// Privacy: a differential-privacy budget per dataset, set by its owner and spent by jobs.
///
/// A dataset is a name that devices holding the same kind of data agree on (for example
/// `hospital-a/ecg`). The first account to set its budget owns it; only the owner changes it,
/// never below what was already spent. A federated job that names a dataset spends its
/// stated ε (the accountant's total over the whole run, per device) when it is created; a job
/// that would exceed the remaining budget, or whose δ is above the dataset's, is refused before
/// it starts, and the spend stays on the ledger even if the job is later closed (the model may
/// already have been released).
///
/// ε and δ are integers so that the ledger stays exact: ε in millionths (`epsilonMicros`),
/// δ in units of 10⁻¹² (`deltaPicos`, so 10⁻⁵ is 10 000 000).
public enum Privacy {
    static let budgets = StorageMap<DatasetName, PrivacyBudget>(module: .privacy, map: 0)
    /// (dataset, spender) → ε spent, for the record.
    static let spends = StorageMap<Pair<DatasetName, PrivacySpender>, PrivacySpend>(module: .privacy, map: 1)

    public static func budget(_ dataset: DatasetName, in context: CallContext) -> PrivacyBudget? {
        context.get(budgets, dataset)
    }

    public static func spends(of dataset: DatasetName, in context: CallContext) -> [(PrivacySpender, PrivacySpend)] {
        context.entries(spends).filter { $0.0.first == dataset }.map { ($0.0.second, $0.1) }
    }

    /// Checks that a job may spend `epsilonMicros` at `deltaPicos` of a dataset's budget.
    static func checkSpend(_ dataset: DatasetName, epsilonMicros: UInt64, deltaPicos: UInt64,
                           in context: CallContext) throws(PrivacyError) {
        guard let budget = context.get(budgets, dataset) else { throw .unknownDataset(dataset) }
        guard deltaPicos <= budget.deltaPicosMax else {
            throw .deltaTooLarge(dataset, deltaPicos: deltaPicos, max: budget.deltaPicosMax)
        }
        let remaining = budget.epsilonMicros - budget.spentMicros
        guard epsilonMicros <= remaining else {
            throw .budgetExceeded(dataset, requestedMicros: epsilonMicros, remainingMicros: remaining)
        }
    }

    /// Records a spend that `checkSpend` allowed in the same call.
    static func recordSpend(_ dataset: DatasetName, epsilonMicros: UInt64, deltaPicos: UInt64, by spender: PrivacySpender,
                            context: inout CallContext) {
        guard var budget = context.get(budgets, dataset) else { preconditionFailure("spend without a checked budget") }
        precondition(epsilonMicros <= budget.epsilonMicros - budget.spentMicros, "spend without a check")
        budget.spentMicros += epsilonMicros
        context.set(budgets, dataset, budget)
        context.set(spends, Pair(dataset, spender), PrivacySpend(epsilonMicros: epsilonMicros, deltaPicos: deltaPicos,
                                                              height: context.height))
        context.emit(PrivacyEvent.spent(dataset, by: spender, epsilonMicros: epsilonMicros,
                                        remainingMicros: budget.epsilonMicros - budget.spentMicros))
    }
}

/// A dataset's name: 1–64 bytes of lowercase letters, digits and `-_./`.
public struct DatasetName: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    public static let bytesMax = 64
    public let rawValue: String

    public init?(_ rawValue: String) {
        guard Self.problem(rawValue) == nil else { return nil }
        self.rawValue = rawValue
    }

    /// Why a string is not a dataset name, or nil.
    public static func problem(_ text: String) -> String? {
        if text.isEmpty || text.utf8.count > bytesMax { return "a dataset name has 1 to \(bytesMax) bytes" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_./".utf8)
        if !text.utf8.allSatisfy(allowed.contains) { return "a dataset name uses a-z, 0-9 and -_./ only" }
        return nil
    }

    public var description: String { rawValue }
    public static func < (lhs: DatasetName, rhs: DatasetName) -> Bool { lhs.rawValue < rhs.rawValue }

    public func encode(to writer: inout ByteWriter) { writer.write(rawValue) }
    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        let text = try reader.readString(maxBytes: Self.bytesMax, "dataset name")
        if let problem = Self.problem(text) { throw .invalidValue(field: "dataset name", offset: start, reason: problem) }
        rawValue = text
    }
}

/// A dataset's budget and what has been spent of it.
public struct PrivacyBudget: Hashable, Sendable, CanonicalCodable {
    public var owner: AccountID
    /// The total ε allowed, in millionths.
    public var epsilonMicros: UInt64
    /// The largest δ a job may state, in units of 10⁻¹².
    public var deltaPicosMax: UInt64
    /// The ε spent so far, in millionths; never more than `epsilonMicros`.
    public var spentMicros: UInt64

    public init(owner: AccountID, epsilonMicros: UInt64, deltaPicosMax: UInt64, spentMicros: UInt64) {
        self.owner = owner
        self.epsilonMicros = epsilonMicros
        self.deltaPicosMax = deltaPicosMax
        self.spentMicros = spentMicros
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(owner); writer.write(epsilonMicros); writer.write(deltaPicosMax); writer.write(spentMicros)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        owner = try reader.read()
        epsilonMicros = try reader.readUInt64("epsilon")
        deltaPicosMax = try reader.readUInt64("delta max")
        spentMicros = try reader.readUInt64("spent")
    }
}

/// What spent a budget: a federated job (the only spender so far; a tag keeps room for more).
public enum PrivacySpender: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    case federatedJob(UInt64)

    public var description: String {
        switch self { case .federatedJob(let id): "federated job #\(id)" }
    }

    public func encode(to writer: inout ByteWriter) {
        switch self { case .federatedJob(let id): writer.write(UInt8(0)); writer.write(id) }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("spender tag") {
        case 0: self = .federatedJob(try reader.readUInt64("job"))
        case let tag: throw .unknownTag(field: "privacy spender", offset: start, tag: UInt64(tag))
        }
    }
}

/// One recorded spend.
public struct PrivacySpend: Hashable, Sendable, CanonicalCodable {
    public var epsilonMicros: UInt64
    public var deltaPicos: UInt64
    public var height: UInt64

    public func encode(to writer: inout ByteWriter) {
        writer.write(epsilonMicros); writer.write(deltaPicos); writer.write(height)
    }

    public init(epsilonMicros: UInt64, deltaPicos: UInt64, height: UInt64) {
        self.epsilonMicros = epsilonMicros
        self.deltaPicos = deltaPicos
        self.height = height
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        epsilonMicros = try reader.readUInt64("epsilon")
        deltaPicos = try reader.readUInt64("delta")
        height = try reader.readUInt64("height")
    }
}
