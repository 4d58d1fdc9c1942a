import DMLLearning
import Foundation

/// The digits dataset (UCI, via scikit-learn; examples/algorithms/digits/data/ATTRIBUTION.md),
/// pixels scaled to 0…1, with the experiments' split: 20% held out, the rest dealt to devices.
enum Digits {
    static let path = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/algorithms/digits/data/digits.csv.gz").path

    static let all: Dataset = {
        do { return try Dataset.csvFile(path, scale: 1.0 / 16) } catch { fatalError("digits: \(error)") }
    }()

    static let split = Partition.holdOut(all, testFraction: 0.2, seed: 7)

    static func devices(_ count: Int, nonIID: Bool) -> [Dataset] {
        var experiments = DigitsExperiments(all: all)
        experiments.devices = count
        return experiments.partition(nonIID: nonIID)
    }

    static let softmax = DigitsExperiments.model
}
