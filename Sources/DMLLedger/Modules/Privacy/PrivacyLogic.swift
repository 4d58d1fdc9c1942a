import DMLCore

/// Privacy version 1.
public struct PrivacyV1: ModuleLogic {
    public var module: ModuleID { .privacy }
    public var version: UInt32 { 1 }
    public init() {}

    /// The largest ε a budget may hold (10⁶): far above any meaningful guarantee, low enough
    /// that sums of spends cannot overflow.
    public static let epsilonMicrosMax: UInt64 = 1_000_000 * 1_000_000

    public func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        let call = try decode(PrivacyCall.self, body)
        do {
            switch call {
            case let .setBudget(dataset, epsilon, delta):
                try setBudget(dataset, epsilonMicros: epsilon, deltaPicosMax: delta, by: origin, context: &context)
            }
        } catch {
            throw .privacy(error)
        }
    }

    /// - Origin: anyone for a new dataset (who becomes its owner); the owner afterwards.
    /// - Throws (in order): `.epsilonTooLarge`, `.notOwner`, `.belowSpent`.
    /// - Emits: `.budgetSet`.
    func setBudget(_ dataset: DatasetName, epsilonMicros: UInt64, deltaPicosMax: UInt64, by origin: AccountID,
                   context: inout CallContext) throws(PrivacyError) {
        guard epsilonMicros <= Self.epsilonMicrosMax else { throw .epsilonTooLarge(epsilonMicros, max: Self.epsilonMicrosMax) }
        let existing = Privacy.budget(dataset, in: context)
        if let existing {
            guard existing.owner == origin else { throw .notOwner(dataset, owner: existing.owner) }
            guard epsilonMicros >= existing.spentMicros else {
                throw .belowSpent(dataset, epsilonMicros: epsilonMicros, spentMicros: existing.spentMicros)
            }
        }
        let budget = PrivacyBudget(owner: origin, epsilonMicros: epsilonMicros, deltaPicosMax: deltaPicosMax,
                                   spentMicros: existing?.spentMicros ?? 0)
        context.set(Privacy.budgets, dataset, budget)
        context.emit(PrivacyEvent.budgetSet(dataset, owner: origin, epsilonMicros: epsilonMicros, deltaPicosMax: deltaPicosMax))
    }

    public func invariantViolations(in context: CallContext) -> [String] {
        var problems: [String] = []
        var spent: [DatasetName: UInt64] = [:]
        for (key, spend) in context.entries(Privacy.spends) {
            let (sum, overflow) = spent[key.first, default: 0].addingReportingOverflow(spend.epsilonMicros)
            if overflow { problems.append("\(key.first)'s spends overflow") }
            spent[key.first] = sum
        }
        for (dataset, budget) in context.entries(Privacy.budgets) {
            if budget.spentMicros > budget.epsilonMicros { problems.append("\(dataset) spent more than its budget") }
            if budget.spentMicros != spent[dataset, default: 0] {
                problems.append("\(dataset) records \(budget.spentMicros) spent, its spends sum to \(spent[dataset, default: 0])")
            }
            spent.removeValue(forKey: dataset)
        }
        for dataset in spent.keys { problems.append("spends recorded for \(dataset), which has no budget") }
        return problems
    }
}
