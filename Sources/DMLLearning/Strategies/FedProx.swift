/// FedProx (Li et al. 2020, "Federated Optimization in Heterogeneous Networks"): FedAvg whose
/// devices minimise their local loss plus a proximal term that keeps them near the global model,
///
///     hₖ(w) = Fₖ(w) + (μ/2)·‖w − w_global‖²,   so   ∇hₖ(w) = ∇Fₖ(w) + μ·(w − w_global).
///
/// The change is entirely on the device: with very different local data (or devices that run
/// different numbers of steps) plain FedAvg's local models drift apart, and the term bounds the
/// drift. The server aggregates exactly as FedAvg, which also lets it run under secure
/// aggregation. μ = 0 is FedAvg; Li et al. tried μ ∈ {0.001, 0.01, 0.1, 1}.
public struct FedProx: AggregationStrategy {
    public var name: String { "fedprox" }

    /// The proximal coefficient μ ≥ 0 the job sends to its devices. The server's aggregation
    /// does not use it; it is part of the strategy so that a job names it in one place.
    public let mu: Float

    /// - Precondition: μ is finite and not negative (a job specification checks this first).
    public init(mu: Float) {
        precondition(mu.isFinite && mu >= 0, "FedProx needs a finite μ ≥ 0, got \(mu)")
        self.mu = mu
    }

    /// FedAvg's example-weighted average, with FedAvg's checks and errors.
    public func aggregate(_ updates: [ClientUpdate], current: [Float]) throws(AggregationError) -> [Float] {
        try FedAvg().aggregate(updates, current: current)
    }

    /// Adds the proximal term's gradient, μ·(w − w_global), to a local gradient in place.
    ///
    /// Called by the device at every local step, after computing ∇Fₖ(w) on its mini-batch.
    public static func proximalGradient(gradient: inout [Float], weights: [Float], global: [Float], mu: Float) {
        precondition(gradient.count == weights.count && weights.count == global.count)
        gradient.withUnsafeMutableBufferPointer { g in
            weights.withUnsafeBufferPointer { w in
                global.withUnsafeBufferPointer { w0 in
                    for index in g.indices { g[index] += mu * (w[index] - w0[index]) }
                }
            }
        }
    }
}
