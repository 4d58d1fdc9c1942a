/// An aggregation strategy as a job specification names it: a stable name and its parameters,
/// in JSON one flat object such as `{"name": "krum", "byzantine": 2}`.
///
/// Decoding checks everything (a known name, no parameter it does not take, the ones it needs,
/// their ranges) and says how to fix what is wrong, so a decoded value always makes a strategy.
/// The names are stable: they are stored in job plans whose digests are on the ledger.
public enum StrategySpec: Sendable, Hashable {
    /// `{"name": "fedavg"}`
    case fedAvg
    /// `{"name": "fedprox", "mu": 0.01}`: μ is the proximal coefficient devices train with.
    case fedProx(mu: Float)
    /// `{"name": "fedmedian"}`
    case fedMedian
    /// `{"name": "fedtrimmedavg", "beta": 0.2}` (a fraction) or `{"name": "fedtrimmedavg", "trim": 1}` (a count).
    case fedTrimmedAvg(FedTrimmedAvg.Trim)
    /// `{"name": "krum", "byzantine": 2}`
    case krum(byzantine: Int)
    /// `{"name": "multikrum", "byzantine": 2, "selection": 5}`
    case multiKrum(byzantine: Int, selection: Int)

    /// Every name, with the parameters it takes besides `name`.
    public static let names: [(name: String, parameters: [String])] = [
        ("fedavg", []), ("fedprox", ["mu"]), ("fedmedian", []), ("fedtrimmedavg", ["beta", "trim"]),
        ("krum", ["byzantine"]), ("multikrum", ["byzantine", "selection"]),
    ]

    /// Bounds that keep a job specification from asking for nonsense.
    public static let muMax: Float = 100
    public static let byzantineMax = 1_000
    public static let selectionMax = 1_000
    public static let trimMax = 1_000

    /// The stable name (also the strategy's `name`).
    public var name: String {
        switch self {
        case .fedAvg: "fedavg"
        case .fedProx: "fedprox"
        case .fedMedian: "fedmedian"
        case .fedTrimmedAvg: "fedtrimmedavg"
        case .krum: "krum"
        case .multiKrum: "multikrum"
        }
    }

    /// Whether the server needs only the weighted sum of the updates, which is all it sees
    /// under secure aggregation; the robust strategies need every update on its own.
    public var supportsSecureAggregation: Bool {
        switch self {
        case .fedAvg, .fedProx: true
        case .fedMedian, .fedTrimmedAvg, .krum, .multiKrum: false
        }
    }

    /// The fewest updates a round needs (a plan's minimum must be at least this).
    public var updatesMin: Int {
        switch self {
        case .fedAvg, .fedProx, .fedMedian, .fedTrimmedAvg(.fraction): 1
        case .fedTrimmedAvg(.count(let count)): 2 * count + 1
        case .krum(let byzantine): 2 * byzantine + 3
        case .multiKrum(let byzantine, let selection): max(2 * byzantine + 3, selection)
        }
    }

    /// What is wrong with the parameters, or nil when they are usable.
    public var problem: String? {
        switch self {
        case .fedAvg, .fedMedian:
            return nil
        case .fedProx(let mu):
            guard mu.isFinite && mu >= 0 && mu <= Self.muMax else {
                return "fedprox: mu must be in [0, \(Self.muMax)], got \(mu)"
            }
        case .fedTrimmedAvg(.fraction(let beta)):
            guard beta.isFinite && beta >= 0 && beta < 0.5 else {
                return "fedtrimmedavg: beta (the fraction trimmed from each end) must be in [0, 0.5), got \(beta)"
            }
        case .fedTrimmedAvg(.count(let count)):
            guard (0...Self.trimMax).contains(count) else {
                return "fedtrimmedavg: trim (the count trimmed from each end) must be in 0...\(Self.trimMax), got \(count)"
            }
        case .krum(let byzantine):
            return Self.byzantineProblem("krum", byzantine)
        case .multiKrum(let byzantine, let selection):
            if let problem = Self.byzantineProblem("multikrum", byzantine) { return problem }
            guard (2...Self.selectionMax).contains(selection) else {
                return "multikrum: selection must be in 2...\(Self.selectionMax), got \(selection) (selecting 1 is krum)"
            }
        }
        return nil
    }

    private static func byzantineProblem(_ name: String, _ byzantine: Int) -> String? {
        (0...byzantineMax).contains(byzantine)
            ? nil : "\(name): byzantine (the most bad updates tolerated) must be in 0...\(byzantineMax), got \(byzantine)"
    }

    /// The strategy the specification names.
    ///
    /// - Precondition: `problem == nil` (always true of a decoded specification).
    public func makeStrategy() -> any AggregationStrategy {
        precondition(problem == nil, problem ?? "")
        switch self {
        case .fedAvg: return FedAvg()
        case .fedProx(let mu): return FedProx(mu: mu)
        case .fedMedian: return FedMedian()
        case .fedTrimmedAvg(let trim): return FedTrimmedAvg(trim: trim)
        case .krum(let byzantine): return Krum(byzantineCount: byzantine)
        case .multiKrum(let byzantine, let selection): return Krum(byzantineCount: byzantine, selectionCount: selection)
        }
    }
}
