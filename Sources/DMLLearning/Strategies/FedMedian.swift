/// Coordinate-wise median (Yin et al. 2018, "Byzantine-Robust Distributed Learning: Towards
/// Optimal Statistical Rates"): each parameter of the next model is the median of that
/// parameter across the updates; with an even count, the mean of the two middle values.
///
/// While fewer than half of the updates are bad, every coordinate of the result lies between
/// the smallest and the largest honest value, however extreme the bad ones are. The price: it
/// ignores example counts (every update counts once), it is noisier than the mean when all
/// are honest, and it needs the individual updates (no secure aggregation).
public struct FedMedian: AggregationStrategy {
    public var name: String { "fedmedian" }

    public init() {}

    /// - Throws: `validated`'s errors.
    public func aggregate(_ updates: [ClientUpdate], current: [Float]) throws(AggregationError) -> [Float] {
        let ordered = try validated(updates, current: current)
        return Self.median(ordered.map(\.parameters))
    }

    /// The coordinate-wise median of equally long, finite vectors.
    public static func median(_ vectors: [[Float]]) -> [Float] {
        precondition(!vectors.isEmpty && vectors.allSatisfy { $0.count == vectors[0].count })
        return Chunked.columns(vectors) { column in medianOfColumn(column) }
    }

    /// The median of one column (reordered in place). The two middle values are averaged in
    /// Double, so their mean neither overflows nor rounds twice.
    static func medianOfColumn(_ column: UnsafeMutableBufferPointer<Float>) -> Float {
        var values = column
        values.sort()
        let middle = values.count / 2
        if values.count % 2 == 1 { return values[middle] }
        return Float((Double(values[middle - 1]) + Double(values[middle])) / 2)
    }
}
