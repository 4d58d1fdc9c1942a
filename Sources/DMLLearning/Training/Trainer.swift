/// Mini-batch SGD on one device's data, with FedProx's proximal term and DP-SGD as options.
public enum Trainer {
    /// Trains `model` in place for one round and reports what it did.
    ///
    /// `global` is the round's starting model (needed for FedProx); the generator drives the
    /// shuffling, Poisson sampling and DP noise — seeded in tests, the system's in production.
    @discardableResult
    public static func train(_ model: inout Model, on data: Dataset, settings: LocalTraining,
                             global: [Float]? = nil,
                             using generator: inout some RandomNumberGenerator) -> TrainingSummary {
        precondition(settings.problem == nil, settings.problem ?? "")
        guard data.count > 0 else { return TrainingSummary(steps: 0, examples: 0, meanLoss: 0) }
        let steps = settings.steps(examples: data.count)
        var totalLoss = 0.0
        var order: [Int] = []
        var cursor = data.count
        for _ in 0..<steps {
            let batch: [Int]
            if let dp = settings.differentialPrivacy {
                let rate = dp.samplingRate
                batch = (0..<data.count).filter { _ in Double.random(in: 0..<1, using: &generator) < rate }
            } else {
                if cursor >= data.count { order = Array(0..<data.count).shuffled(using: &generator); cursor = 0 }
                let end = min(cursor + settings.batchSize, data.count)
                batch = Array(order[cursor..<end])
                cursor = end
            }
            var gradient: [Float]
            if let dp = settings.differentialPrivacy {
                let expectedBatch = Float(dp.samplingRate * Double(data.count))
                (gradient, totalLoss) = privateGradient(model, data: data, batch: batch, dp: dp,
                                                        expectedBatch: expectedBatch, loss: totalLoss,
                                                        using: &generator)
            } else {
                let slice = data.subset(batch)
                let result = model.lossAndGradient(slice.features, labels: slice.labels)
                gradient = result.gradient
                totalLoss += result.loss
            }
            if let mu = settings.proximalMu, mu > 0, let global {
                FedProx.proximalGradient(gradient: &gradient, weights: model.parameters, global: global, mu: mu)
            }
            step(&model.parameters, gradient: gradient, learningRate: settings.learningRate)
        }
        return TrainingSummary(steps: steps, examples: data.count, meanLoss: totalLoss / Double(steps))
    }

    /// w ← w − η·g.
    static func step(_ parameters: inout [Float], gradient: [Float], learningRate: Float) {
        parameters.withUnsafeMutableBufferPointer { w in
            gradient.withUnsafeBufferPointer { g in
                for index in w.indices { w[index] -= learningRate * g[index] }
            }
        }
    }

    /// DP-SGD's gradient: the sum of per-example gradients each clipped to the bound, plus
    /// N(0, (σ·C)²) noise, divided by the expected batch size (not the drawn one, which would
    /// leak the batch size). An empty Poisson draw still adds noise.
    static func privateGradient(_ model: Model, data: Dataset, batch: [Int], dp: LocalTraining.DPSGD,
                                expectedBatch: Float, loss: Double,
                                using generator: inout some RandomNumberGenerator) -> ([Float], Double) {
        var sum = [Float](repeating: 0, count: model.parameters.count)
        var batchLoss = 0.0
        for index in batch {
            let example = data.subset([index])
            var (exampleLoss, gradient) = model.lossAndGradient(example.features, labels: example.labels)
            Clipping.clip(&gradient, toNorm: dp.clipNorm)
            for i in sum.indices { sum[i] += gradient[i] }
            batchLoss += exampleLoss
        }
        GaussianNoise.add(to: &sum, standardDeviation: dp.noiseMultiplier * Double(dp.clipNorm), using: &generator)
        for i in sum.indices { sum[i] /= max(expectedBatch, 1) }
        return (sum, loss + (batch.isEmpty ? 0 : batchLoss / Double(batch.count)))
    }
}
