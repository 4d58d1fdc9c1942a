/// What a device does in one round of a federated job, without any networking: train the
/// global model on local data, then turn the result into what it sends.
public enum DeviceRound {
    /// Local training from the round's global model; returns the trained parameters.
    public static func train(global: Model, data: Dataset, plan: FederatedPlan,
                             using generator: inout some RandomNumberGenerator) -> (parameters: [Float], summary: TrainingSummary) {
        var model = global
        let summary = Trainer.train(&model, on: data, settings: plan.training, global: global.parameters, using: &generator)
        return (model.parameters, summary)
    }

    /// The vector a device adds into a sum (secure aggregation or device-level privacy) and the
    /// weight it adds to the denominator.
    ///
    /// Without device-level privacy the change is weighted by the example count, so the sum
    /// divided by the summed counts is exactly FedAvg. With it, every device counts once and
    /// its change is clipped to the L2 bound (a device's influence must be bounded for the
    /// guarantee); under secure aggregation each device also adds its share of the noise,
    /// N(0, σ²S² / minimumDevices), so the sum of at least `minimumDevices` shares carries the
    /// full N(0, σ²S²) and nobody — the server included — ever sees the sum without it.
    public static func contribution(parameters: [Float], global: [Float], examples: Int, plan: FederatedPlan,
                                    using generator: inout some RandomNumberGenerator) -> (vector: [Float], weight: UInt32) {
        var change = zip(parameters, global).map { $0 - $1 }
        guard let privacy = plan.deviceLevelPrivacy else {
            let weight = Float(examples)
            for index in change.indices { change[index] *= weight }
            return (change, UInt32(clamping: examples))
        }
        Clipping.clip(&change, toNorm: privacy.clipNorm)
        if plan.secureAggregation != nil, privacy.noiseMultiplier > 0 {
            let share = privacy.noiseMultiplier * Double(privacy.clipNorm) / Double(plan.minimumDevices).squareRoot()
            GaussianNoise.add(to: &change, standardDeviation: share, using: &generator)
        }
        return (change, 1)
    }
}

/// The server's side of a round: from the updates (or their sum) to the next global model.
public enum ServerRound {
    /// The next global model from individual plain updates, by the plan's strategy; with
    /// device-level privacy, from clipped unweighted changes plus the server's Gaussian noise.
    public static func aggregate(_ updates: [ClientUpdate], global: [Float], plan: FederatedPlan,
                                 using generator: inout some RandomNumberGenerator) throws(AggregationError) -> [Float] {
        guard let privacy = plan.deviceLevelPrivacy else {
            return try plan.strategy.makeStrategy().aggregate(updates, current: global)
        }
        let sorted = try plan.strategy.makeStrategy().validated(updates, current: global)
        var sum = [Float](repeating: 0, count: global.count)
        for update in sorted {
            var change = zip(update.parameters, global).map { $0 - $1 }
            Clipping.clip(&change, toNorm: privacy.clipNorm)
            for index in sum.indices { sum[index] += change[index] }
        }
        GaussianNoise.add(to: &sum, standardDeviation: privacy.noiseMultiplier * Double(privacy.clipNorm), using: &generator)
        return apply(sum: sum, weight: Double(sorted.count), to: global)
    }

    /// The next global model from a sum of contributions: global + sum / weight.
    public static func apply(sum: [Float], weight: Double, to global: [Float]) -> [Float] {
        precondition(sum.count == global.count && weight > 0)
        let scale = Float(1 / weight)
        return zip(global, sum).map { $0 + $1 * scale }
    }
}
