import Foundation

/// Ways to deal a dataset out to devices, for experiments and simulations: the data of a real
/// federated job is wherever its devices are.
public enum Partition {
    /// A seeded split into (train, test) with `testFraction` of the examples held out.
    public static func holdOut(_ data: Dataset, testFraction: Double, seed: UInt64) -> (train: Dataset, test: Dataset) {
        precondition((0...1).contains(testFraction))
        var generator = SeededXoshiro(seed: seed)
        let order = Array(0..<data.count).shuffled(using: &generator)
        let testCount = Int((Double(data.count) * testFraction).rounded())
        return (data.subset(order[testCount...]), data.subset(order[..<testCount]))
    }

    /// Independent and identically distributed: a seeded shuffle dealt round-robin.
    public static func iid(_ data: Dataset, devices: Int, seed: UInt64) -> [Dataset] {
        precondition(devices > 0)
        var generator = SeededXoshiro(seed: seed)
        let order = Array(0..<data.count).shuffled(using: &generator)
        return (0..<devices).map { device in
            data.subset(stride(from: device, to: order.count, by: devices).map { order[$0] })
        }
    }

    /// Non-IID by label (Hsu, Qi and Brown 2019): each class's examples are divided among the
    /// devices in proportions drawn from a symmetric Dirichlet(α); small α gives each device a
    /// few dominant classes. Draws are repeated until every device gets at least
    /// `minimumPerDevice` examples, as is customary (up to 1 000 draws; the last is kept).
    public static func dirichlet(_ data: Dataset, devices: Int, alpha: Double, classes: Int,
                                 seed: UInt64, minimumPerDevice: Int = 10) -> [Dataset] {
        precondition(devices > 0 && alpha > 0 && minimumPerDevice * devices <= data.count)
        var generator = SeededXoshiro(seed: seed)
        var byClass = [[Int]](repeating: [], count: classes)
        for (index, label) in data.labels.enumerated() { byClass[label].append(index) }
        for attempt in 0..<1000 {
            var assignment = [[Int]](repeating: [], count: devices)
            for members in byClass {
                let shuffled = members.shuffled(using: &generator)
                let shares = Distributions.dirichlet(alpha: alpha, count: devices, using: &generator)
                var start = 0
                var cumulative = 0.0
                for device in 0..<devices {
                    cumulative += shares[device]
                    let end = device == devices - 1 ? shuffled.count : min(shuffled.count, Int((cumulative * Double(shuffled.count)).rounded()))
                    assignment[device].append(contentsOf: shuffled[start..<max(start, end)])
                    start = max(start, end)
                }
            }
            if assignment.allSatisfy({ $0.count >= minimumPerDevice }) || attempt == 999 {
                return assignment.map { data.subset($0.sorted()) }
            }
        }
        preconditionFailure("unreachable")
    }
}

/// Sampling from the distributions the partitions need.
enum Distributions {
    /// A draw from the symmetric Dirichlet(α, …, α): normalised Gamma(α, 1) draws.
    static func dirichlet(alpha: Double, count: Int, using generator: inout some RandomNumberGenerator) -> [Double] {
        let draws = (0..<count).map { _ in gamma(shape: alpha, using: &generator) }
        let total = draws.reduce(0, +)
        return total > 0 ? draws.map { $0 / total } : [Double](repeating: 1 / Double(count), count: count)
    }

    /// Gamma(shape, 1) by Marsaglia and Tsang (2000); shape < 1 through the boost
    /// Gamma(a) = Gamma(a + 1) · U^(1/a).
    static func gamma(shape: Double, using generator: inout some RandomNumberGenerator) -> Double {
        if shape < 1 {
            let u = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &generator)
            return gamma(shape: shape + 1, using: &generator) * pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0
            var v = 0.0
            repeat {
                x = GaussianNoise.standardNormalPair(using: &generator).0
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = Double.random(in: 0..<1, using: &generator)
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }
}
