import Foundation

/// A model: its architecture and its parameters as one flat vector.
///
/// The flat layout (per layer: the weight matrix, inputs × outputs row-major, then the bias) is
/// what devices send, what strategies average and what `ModelWeights` stores, so no code needs
/// to know about layers except the forward and backward passes below.
public struct Model: Sendable, Equatable {
    public let spec: ModelSpec
    public var parameters: [Float]

    /// A model over given parameters.
    public init(spec: ModelSpec, parameters: [Float]) {
        precondition(parameters.count == spec.parameterCount,
                     "\(spec.kind) needs \(spec.parameterCount) parameters, got \(parameters.count)")
        self.spec = spec
        self.parameters = parameters
    }

    /// Fresh weights: Glorot-uniform for the weight matrices, zero biases, from a seed so that
    /// every device of a federated job can start from the same global model.
    public init(spec: ModelSpec, seed: UInt64) {
        var generator = SeededXoshiro(seed: seed)
        var parameters = [Float](repeating: 0, count: spec.parameterCount)
        for layer in spec.layerOffsets {
            let limit = Float((6.0 / Double(layer.inputs + layer.outputs)).squareRoot())
            for index in layer.weights..<layer.bias {
                parameters[index] = Float.random(in: -limit...limit, using: &generator)
            }
        }
        self.init(spec: spec, parameters: parameters)
    }

    /// Class probabilities for each row of `features` (batch × inputs → batch × classes).
    public func probabilities(_ features: Tensor) -> Tensor {
        let logits = forward(features).last!
        return Self.outputProbabilities(logits, kind: spec.kind)
    }

    /// The most probable class of each row.
    public func predict(_ features: Tensor) -> [Int] {
        Self.mostProbable(probabilities(features))
    }

    /// Accuracy and mean cross-entropy on labelled examples.
    public func evaluate(_ data: Dataset) -> Evaluation {
        guard data.count > 0 else { return Evaluation(accuracy: 0, loss: 0, examples: 0) }
        let probabilities = probabilities(data.features)
        let predicted = Self.mostProbable(probabilities)
        var correct = 0
        var loss = 0.0
        for row in 0..<data.count {
            if predicted[row] == data.labels[row] { correct += 1 }
            loss -= log(Double(max(probabilities[row, data.labels[row]], 1e-12)))
        }
        return Evaluation(accuracy: Double(correct) / Double(data.count),
                          loss: loss / Double(data.count), examples: data.count)
    }

    /// The column of each row's largest probability (the first on ties).
    static func mostProbable(_ probabilities: Tensor) -> [Int] {
        (0..<probabilities.rows).map { row in
            var best = 0
            for column in 1..<probabilities.columns where probabilities[row, column] > probabilities[row, best] {
                best = column
            }
            return best
        }
    }

    /// The mean cross-entropy loss of a batch and its gradient with respect to every parameter
    /// (same flat layout as `parameters`), by backpropagation.
    public func lossAndGradient(_ features: Tensor, labels: [Int]) -> (loss: Double, gradient: [Float]) {
        precondition(features.rows == labels.count && features.rows > 0, "one label per example")
        let activations = forward(features)
        let probabilities = Self.outputProbabilities(activations.last!, kind: spec.kind)
        let batch = Float(features.rows)
        // The error at the logits: p − y (softmax with cross-entropy, or sigmoid with binary
        // cross-entropy, both have this form), averaged over the batch.
        var error = spec.kind == .logistic
            ? Tensor(shape: [features.rows, 1], storage: (0..<features.rows).map { probabilities[$0, 1] })
            : probabilities
        var loss = 0.0
        for (row, label) in labels.enumerated() {
            precondition(label >= 0 && label < spec.classes, "label \(label) out of 0..<\(spec.classes)")
            loss -= log(Double(max(probabilities[row, label], 1e-12)))
            if spec.kind == .logistic {
                error[row, 0] -= Float(label)
            } else {
                error[row, label] -= 1
            }
        }
        for index in error.storage.indices { error.storage[index] /= batch }

        var gradient = [Float](repeating: 0, count: parameters.count)
        let layers = spec.layerOffsets
        for layerIndex in layers.indices.reversed() {
            let layer = layers[layerIndex]
            let input = activations[layerIndex]
            let weightGradient = input.transposedMatmul(error)
            gradient.replaceSubrange(layer.weights..<layer.bias, with: weightGradient.storage)
            for row in 0..<error.rows {
                for column in 0..<layer.outputs { gradient[layer.bias + column] += error[row, column] }
            }
            guard layerIndex > 0 else { break }
            // Back through the weights, then through the ReLU that produced `input`.
            var previous = error.matmulTransposed(weights(of: layer))
            for index in previous.storage.indices where input.storage[index] <= 0 {
                previous.storage[index] = 0
            }
            error = previous
        }
        return (loss / Double(labels.count), gradient)
    }

    /// Every layer's output, input first; hidden layers after ReLU, the last one as logits.
    func forward(_ features: Tensor) -> [Tensor] {
        precondition(features.columns == spec.inputs, "expected \(spec.inputs) features, got \(features.columns)")
        var activations = [features]
        let layers = spec.layerOffsets
        for (index, layer) in layers.enumerated() {
            var output = activations.last!.matmul(weights(of: layer))
            for row in 0..<output.rows {
                for column in 0..<layer.outputs {
                    output[row, column] += parameters[layer.bias + column]
                }
            }
            if index < layers.count - 1 {
                for i in output.storage.indices where output.storage[i] < 0 { output.storage[i] = 0 }
            }
            activations.append(output)
        }
        return activations
    }

    private func weights(of layer: (weights: Int, bias: Int, inputs: Int, outputs: Int)) -> Tensor {
        Tensor(shape: [layer.inputs, layer.outputs], storage: Array(parameters[layer.weights..<layer.bias]))
    }

    /// Softmax of each row (stable: the row's maximum is subtracted first), or the sigmoid of a
    /// single logit spread into two columns [1 − p, p] so every model reports class probabilities.
    static func outputProbabilities(_ logits: Tensor, kind: ModelSpec.Kind) -> Tensor {
        if kind == .logistic {
            var out = Tensor(shape: [logits.rows, 2])
            for row in 0..<logits.rows {
                let p = 1 / (1 + Float(exp(Double(-logits[row, 0]))))
                out[row, 0] = 1 - p
                out[row, 1] = p
            }
            return out
        }
        var out = logits
        for row in 0..<out.rows {
            var maximum = -Float.infinity
            for column in 0..<out.columns { maximum = max(maximum, out[row, column]) }
            var total: Float = 0
            for column in 0..<out.columns {
                let e = Float(exp(Double(out[row, column] - maximum)))
                out[row, column] = e
                total += e
            }
            for column in 0..<out.columns { out[row, column] /= total }
        }
        return out
    }
}

/// How well a model does on labelled data.
public struct Evaluation: Codable, Sendable, Equatable {
    public var accuracy: Double
    public var loss: Double
    public var examples: Int
}
