/// One device's contribution to a round: its model parameters after local training (a flat
/// vector in the model's parameter order) and how many examples it trained on.
public struct ClientUpdate: Sendable, Equatable {
    /// Who sent it; aggregation sorts by this so that the arrival order never matters.
    public var contributor: String
    /// The device's parameters after local training (not the difference from the global model).
    public var parameters: [Float]
    /// The number of local training examples: FedAvg's weight.
    public var exampleCount: Int

    public init(contributor: String, parameters: [Float], exampleCount: Int) {
        self.contributor = contributor
        self.parameters = parameters
        self.exampleCount = exampleCount
    }
}

/// Why a set of updates cannot be aggregated.
public enum AggregationError: Error, Equatable, Sendable {
    /// No updates at all.
    case noUpdates
    /// An update's length differs from the global model's.
    case lengthMismatch(contributor: String, count: Int, expected: Int)
    /// The strategy needs more updates than it got (Krum needs n > 2f + 2, trimmed mean n > 2k).
    case tooFewUpdates(count: Int, needed: Int)
    /// An update carries NaN or infinity.
    case notFinite(contributor: String)
    /// A weighted strategy got a non-positive example count.
    case badExampleCount(contributor: String, count: Int)
    /// The same contributor sent two updates.
    case duplicateContributor(String)
}

/// A server-side rule that turns the round's updates into the next global model.
///
/// Implementations are pure and deterministic: the same set of updates gives the same bits
/// whatever order they arrive in (they are put in contributor order first).
public protocol AggregationStrategy: Sendable {
    /// The stable name used in job specifications and reports (`fedavg`, `krum`, …).
    var name: String { get }
    /// The next global model from the current one and the round's updates.
    func aggregate(_ updates: [ClientUpdate], current: [Float]) throws(AggregationError) -> [Float]
}

extension AggregationStrategy {
    /// Checks the common preconditions and returns the updates in contributor order.
    public func validated(_ updates: [ClientUpdate], current: [Float]) throws(AggregationError) -> [ClientUpdate] {
        guard !updates.isEmpty else { throw .noUpdates }
        var seen = Set<String>()
        for update in updates {
            guard seen.insert(update.contributor).inserted else {
                throw .duplicateContributor(update.contributor)
            }
            guard update.parameters.count == current.count else {
                throw .lengthMismatch(contributor: update.contributor,
                                      count: update.parameters.count, expected: current.count)
            }
            guard update.exampleCount > 0 else {
                throw .badExampleCount(contributor: update.contributor, count: update.exampleCount)
            }
            guard update.parameters.allSatisfy(\.isFinite) else {
                throw .notFinite(contributor: update.contributor)
            }
        }
        return updates.sorted { $0.contributor < $1.contributor }
    }
}
