import DMLCore

/// Combines many devices' outputs by the manifest's rule. Outputs are taken in device-key
/// order, so the same set of results always gives the same aggregate, bit for bit, whatever
/// order they arrived in.
public enum Aggregation {
    public struct Contribution: Sendable {
        public var device: AccountID
        public var output: [UInt8]
        public init(device: AccountID, output: [UInt8]) {
            self.device = device
            self.output = output
        }
    }

    /// The aggregate vector (one value per output field), or why there is none.
    public static func aggregate(_ contributions: [Contribution], package: AlgorithmPackage,
                                 sandbox: Sandbox) -> Result<[Double], AggregationError> {
        let manifest = package.manifest
        let ordered = contributions.sorted { $0.device < $1.device }
        guard !ordered.isEmpty else { return .failure(.noResults) }
        for contribution in ordered {
            if let problem = OutputCodec.problem(with: contribution.output, schema: manifest.output) {
                return .failure(.badOutput(device: contribution.device, problem))
            }
        }
        let vectors = ordered.map { OutputCodec.vector($0.output) }
        switch manifest.aggregation {
        case .sum: return .success(elementwise(vectors, +))
        case .min: return .success(elementwise(vectors, Swift.min))
        case .max: return .success(elementwise(vectors, Swift.max))
        case .mean: return .success(elementwise(vectors, +).map { $0 / Double(vectors.count) })
        case .columnStats: return .success(mergeColumnStats(vectors))
        case .reducer:
            guard let name = manifest.reducer, let module = package.modules[name] else { return .failure(.noReducer) }
            let input = ordered.flatMap(\.output)
            let result = sandbox.runStage(module, name: name, entry: manifest.entry, input: input,
                                          limits: manifest.limits, fuel: manifest.limits.fuel)
            guard result.outcome == .completed else { return .failure(.reducerFailed(result.outcome)) }
            if let problem = OutputCodec.problem(with: result.output, schema: manifest.output) {
                return .failure(.reducerFailed(.outputRejected(reason: problem)))
            }
            return .success(OutputCodec.vector(result.output))
        }
    }

    static func elementwise(_ vectors: [[Double]], _ combine: (Double, Double) -> Double) -> [Double] {
        var result = vectors[0]
        for vector in vectors.dropFirst() {
            for index in result.indices { result[index] = combine(result[index], vector[index]) }
        }
        return result
    }

    /// Groups of (count, sum, sum of squares, min, max): counts and sums add, min and max combine.
    static func mergeColumnStats(_ vectors: [[Double]]) -> [Double] {
        var result = vectors[0]
        for vector in vectors.dropFirst() {
            for column in stride(from: 0, to: result.count, by: 5) {
                result[column] += vector[column]
                result[column + 1] += vector[column + 1]
                result[column + 2] += vector[column + 2]
                result[column + 3] = Swift.min(result[column + 3], vector[column + 3])
                result[column + 4] = Swift.max(result[column + 4], vector[column + 4])
            }
        }
        return result
    }

    /// Mean and (population) standard deviation of each column of a merged columnStats vector.
    public static func columnSummaries(_ merged: [Double]) -> [(count: Double, mean: Double, std: Double, min: Double, max: Double)] {
        stride(from: 0, to: merged.count - merged.count % 5, by: 5).map { column in
            let count = merged[column], sum = merged[column + 1], squares = merged[column + 2]
            let mean = count > 0 ? sum / count : 0
            let variance = count > 0 ? Swift.max(0, squares / count - mean * mean) : 0
            return (count, mean, variance.squareRoot(), merged[column + 3], merged[column + 4])
        }
    }
}

public enum AggregationError: Error, Equatable, Sendable, CustomStringConvertible {
    case noResults
    case badOutput(device: AccountID, String)
    case noReducer
    case reducerFailed(RunOutcome)

    public var description: String {
        switch self {
        case .noResults: "no accepted results yet"
        case let .badOutput(device, why): "the output of \(device) does not fit the schema: \(why)"
        case .noReducer: "the manifest names no reducer module"
        case .reducerFailed(let outcome): "the reducer failed: \(outcome)"
        }
    }
}
