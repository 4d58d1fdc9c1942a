import DMLCore
@testable import DMLLearning
import Testing

@Suite struct TensorTests {
    @Test func productsMatchHandComputedMatrices() {
        let a = Tensor(rows: [[1, 2, 3], [4, 5, 6]])          // 2×3
        let b = Tensor(rows: [[7, 8], [9, 10], [11, 12]])     // 3×2
        #expect(a.matmul(b) == Tensor(rows: [[58, 64], [139, 154]]))
        // aᵀ·c with c 2×2: (3×2)·(2×2)
        let c = Tensor(rows: [[1, 0], [0, 1]])
        #expect(a.transposedMatmul(c) == Tensor(rows: [[1, 4], [2, 5], [3, 6]]))
        // a·aᵀ: row dot products, long enough (> 8) to use the SIMD lanes and the tail.
        let long = Tensor(shape: [2, 11], storage: (0..<22).map(Float.init))
        let gram = long.matmulTransposed(long)
        let diagonal: Float = (0..<11).map { (i: Int) -> Float in Float(i * i) }.reduce(0, +)
        let offDiagonal: Float = (0..<11).map { (i: Int) -> Float in Float(i * (i + 11)) }.reduce(0, +)
        #expect(gram[0, 0] == diagonal)
        #expect(gram[0, 1] == offDiagonal)
        #expect(gram[1, 0] == gram[0, 1])
    }

    @Test func gatheringRowsKeepsTheirOrder() {
        let t = Tensor(rows: [[1, 1], [2, 2], [3, 3]])
        #expect(t.gatherRows([2, 0]) == Tensor(rows: [[3, 3], [1, 1]]))
    }
}

@Suite struct ModelTests {
    static let specs: [ModelSpec] = [
        ModelSpec(kind: .logistic, inputs: 5, classes: 2),
        ModelSpec(kind: .softmax, inputs: 5, classes: 3),
        ModelSpec(kind: .mlp, inputs: 5, classes: 3, hidden: [4]),
        ModelSpec(kind: .mlp, inputs: 5, classes: 3, hidden: [6, 4]),
    ]

    @Test(arguments: specs)
    func backpropagationMatchesFiniteDifferences(spec: ModelSpec) {
        let model = Model(spec: spec, seed: 3)
        var generator = SeededXoshiro(seed: 5)
        let features = Tensor(shape: [4, 5], storage: (0..<20).map { _ in Float.random(in: -1...1, using: &generator) })
        let labels = [0, 1, 1, 0].map { $0 % spec.classes }
        let (_, gradient) = model.lossAndGradient(features, labels: labels)
        let step: Float = 1e-3
        for index in stride(from: 0, to: spec.parameterCount, by: max(1, spec.parameterCount / 23)) {
            var plus = model, minus = model
            plus.parameters[index] += step
            minus.parameters[index] -= step
            let numeric = (plus.lossAndGradient(features, labels: labels).loss - minus.lossAndGradient(features, labels: labels).loss)
                / Double(2 * step)
            #expect(abs(numeric - Double(gradient[index])) < 2e-3, "parameter \(index) of \(spec.kind): numeric \(numeric), backprop \(gradient[index])")
        }
    }

    @Test func parameterCountsFollowTheLayers() {
        #expect(ModelSpec(kind: .softmax, inputs: 64, classes: 10).parameterCount == 650)
        #expect(ModelSpec(kind: .logistic, inputs: 30, classes: 2).parameterCount == 31)
        #expect(ModelSpec(kind: .mlp, inputs: 64, classes: 10, hidden: [32]).parameterCount == 64 * 32 + 32 + 32 * 10 + 10)
        #expect(ModelSpec(kind: .mlp, inputs: 64, classes: 10, hidden: []).problem != nil)
        #expect(ModelSpec(kind: .logistic, inputs: 3, classes: 3).problem != nil)
    }

    @Test func aCentrallyTrainedSoftmaxRegressionLearnsTheDigits() {
        var model = Model(spec: Digits.softmax, seed: 1)
        var generator = SeededXoshiro(seed: 2)
        let settings = LocalTraining(learningRate: 0.5, batchSize: 32, epochs: 20)
        Trainer.train(&model, on: Digits.split.train, settings: settings, using: &generator)
        let accuracy = model.evaluate(Digits.split.test).accuracy
        // Published reference: 0.95–0.97 for multinomial logistic regression on an 80/20 split.
        #expect(accuracy >= 0.94, "accuracy \(accuracy)")
    }

    @Test func logisticRegressionSeparatesTwoClusters() {
        var generator = SeededXoshiro(seed: 9)
        var rows: [[Float]] = []
        var labels: [Int] = []
        for index in 0..<200 {
            let label = index % 2
            let center: Float = label == 1 ? 1 : -1
            rows.append([center + Float.random(in: -0.8...0.8, using: &generator), center + Float.random(in: -0.8...0.8, using: &generator)])
            labels.append(label)
        }
        let data = Dataset(features: Tensor(rows: rows), labels: labels)
        var model = Model(spec: ModelSpec(kind: .logistic, inputs: 2, classes: 2), seed: 1)
        Trainer.train(&model, on: data, settings: LocalTraining(learningRate: 0.5, batchSize: 20, epochs: 10), using: &generator)
        #expect(model.evaluate(data).accuracy >= 0.97)
    }

    @Test func trainingIsDeterministicForASeed() {
        func trained() -> [Float] {
            var model = Model(spec: ModelSpec(kind: .mlp, inputs: 64, classes: 10, hidden: [16]), seed: 4)
            var generator = SeededXoshiro(seed: 4)
            Trainer.train(&model, on: Digits.split.test, settings: LocalTraining(learningRate: 0.1, batchSize: 16, epochs: 1), using: &generator)
            return model.parameters
        }
        #expect(trained() == trained())
    }
}

@Suite struct ModelWeightsTests {
    @Test func weightsRoundTripAndAreContentAddressed() throws {
        let model = Model(spec: ModelSpec(kind: .mlp, inputs: 3, classes: 2, hidden: [2]), seed: 1)
        let bytes = ModelWeights.encode(model)
        #expect(bytes.count == 8 + 4 * 3 + 4 + 4 * model.parameters.count)
        #expect(try ModelWeights.decode(bytes) == model)
        #expect(ModelWeights.address(of: model) == Hash256.of(bytes))
        var other = model
        other.parameters[0] += 1
        #expect(ModelWeights.address(of: other) != ModelWeights.address(of: model))
    }

    /// The layout in docs/learning.md, byte for byte, for a 1-input logistic regression.
    @Test func theFileLayoutIsTheDocumentedOne() throws {
        let model = Model(spec: ModelSpec(kind: .logistic, inputs: 1, classes: 2), parameters: [1.5, -2])
        #expect(Hex.encode(ModelWeights.encode(model)) ==
                "444d4c57" + "01" + "00" + "0200" + "01000000" + "01000000" + "02000000" + "0000c03f" + "000000c0")
    }

    @Test func damagedFilesAreRefusedWithTheReason() {
        let good = ModelWeights.encode(Model(spec: ModelSpec(kind: .softmax, inputs: 2, classes: 2), seed: 1))
        let cases: [([UInt8], String)] = [
            (Array("NOPE".utf8) + good.dropFirst(4), "magic"),
            (Array(good.prefix(4)) + [9] + good.dropFirst(5), "version"),
            (Array(good.prefix(5)) + [7] + good.dropFirst(6), "kind"),
            (Array(good.dropLast(3)), "parameters"),
            (good + [0], "weights file"),
            (Array(good.dropLast(4)) + Float.nan.bitPattern.littleEndianBytes, "parameter"),
        ]
        for (bytes, field) in cases {
            #expect(throws: DecodingError.self, "\(field)") { try ModelWeights.decode(bytes) }
            do { _ = try ModelWeights.decode(bytes) } catch { #expect(error.description.contains(field) || "\(error)".contains(field)) }
        }
    }
}

@Suite struct PartitionTests {
    @Test func iidDealsEveryExampleOnce() {
        let parts = Partition.iid(Digits.split.train, devices: 10, seed: 1)
        #expect(parts.map(\.count).reduce(0, +) == Digits.split.train.count)
        #expect(Set(parts.map(\.count)).count <= 2)
    }

    @Test func dirichletWithSmallAlphaSkewsTheLabels() {
        let parts = Digits.devices(10, nonIID: true)
        #expect(parts.map(\.count).reduce(0, +) == Digits.split.train.count)
        #expect(parts.allSatisfy { $0.count >= 10 })
        // Non-IID: the typical device's most common class is far above the uniform 10%.
        let dominant = parts.map { part in Double(part.classCounts(classes: 10).max()!) / Double(part.count) }
        #expect(dominant.sorted()[5] > 0.2)
        #expect(Digits.devices(10, nonIID: true) == parts)
    }

    @Test func theHoldOutIsTwentyPercent() {
        #expect(Digits.split.test.count == 359)
        #expect(Digits.split.train.count == 1438)
    }
}

extension UInt32 {
    var littleEndianBytes: [UInt8] { withUnsafeBytes(of: littleEndian) { Array($0) } }
}
