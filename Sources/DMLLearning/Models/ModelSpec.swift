/// The architecture of a model: what a federated job names and what a weights file records.
///
/// One family covers the three models DML trains: a stack of dense layers with ReLU between
/// them. No hidden layer and one sigmoid output is logistic regression; no hidden layer and a
/// softmax output is softmax (multinomial logistic) regression; one or two hidden layers make
/// a small multilayer perceptron.
public struct ModelSpec: Codable, Sendable, Equatable, Hashable {
    /// The model family.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Binary classification: one sigmoid output, labels 0 or 1.
        case logistic
        /// Multi-class classification: one softmax output per class.
        case softmax
        /// Softmax output after one or two ReLU hidden layers.
        case mlp
    }

    public var kind: Kind
    /// Features per example.
    public var inputs: Int
    /// Classes (2 for logistic regression).
    public var classes: Int
    /// Widths of the hidden layers (empty unless `kind == .mlp`).
    public var hidden: [Int]

    /// Bounds that keep a job specification from asking for an absurd model.
    public static let inputsMax = 1 << 16
    public static let classesMax = 1 << 12
    public static let hiddenWidthMax = 1 << 12
    /// 4 Mi parameters (16 MiB of weights): far above what devices train here, low enough that
    /// a job specification cannot make the coordinator allocate gigabytes.
    public static let parameterCountMax = 1 << 22

    public init(kind: Kind, inputs: Int, classes: Int, hidden: [Int] = []) {
        self.kind = kind
        self.inputs = inputs
        self.classes = classes
        self.hidden = hidden
    }

    /// The widths of every layer, input first: `[inputs] + hidden + [outputs]`.
    public var layerWidths: [Int] {
        [inputs] + hidden + [kind == .logistic ? 1 : classes]
    }

    /// The number of parameters: each layer's weight matrix and bias vector.
    public var parameterCount: Int {
        let widths = layerWidths
        return zip(widths, widths.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 }
    }

    /// What is wrong with this specification, or nil when it is usable.
    public var problem: String? {
        guard (1...Self.inputsMax).contains(inputs) else {
            return "inputs must be in 1...\(Self.inputsMax), got \(inputs)"
        }
        switch kind {
        case .logistic:
            if classes != 2 { return "logistic regression has 2 classes, got \(classes)" }
            if !hidden.isEmpty { return "logistic regression has no hidden layers" }
        case .softmax:
            if !(2...Self.classesMax).contains(classes) { return "classes must be in 2...\(Self.classesMax), got \(classes)" }
            if !hidden.isEmpty { return "softmax regression has no hidden layers" }
        case .mlp:
            if !(2...Self.classesMax).contains(classes) { return "classes must be in 2...\(Self.classesMax), got \(classes)" }
            if !(1...2).contains(hidden.count) { return "an MLP has one or two hidden layers, got \(hidden.count)" }
            if let bad = hidden.first(where: { !(1...Self.hiddenWidthMax).contains($0) }) {
                return "hidden layer widths must be in 1...\(Self.hiddenWidthMax), got \(bad)"
            }
        }
        let widths = layerWidths
        let count = zip(widths, widths.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 }
        if count > Self.parameterCountMax { return "\(count) parameters exceed \(Self.parameterCountMax)" }
        return nil
    }

    /// Where each layer's weights (inputs × outputs, row-major) and bias start in the flat vector.
    var layerOffsets: [(weights: Int, bias: Int, inputs: Int, outputs: Int)] {
        var offsets: [(weights: Int, bias: Int, inputs: Int, outputs: Int)] = []
        var offset = 0
        let widths = layerWidths
        for (fanIn, fanOut) in zip(widths, widths.dropFirst()) {
            offsets.append((weights: offset, bias: offset + fanIn * fanOut, inputs: fanIn, outputs: fanOut))
            offset += fanIn * fanOut + fanOut
        }
        return offsets
    }
}
