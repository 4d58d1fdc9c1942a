import Foundation

/// Labelled examples: one row of features per example and its class.
public struct Dataset: Sendable, Equatable {
    /// examples × features.
    public var features: Tensor
    /// The class of each example, in `0..<classes`.
    public var labels: [Int]

    public init(features: Tensor, labels: [Int]) {
        precondition(features.shape.count == 2 && features.rows == labels.count, "one label per row")
        self.features = features
        self.labels = labels
    }

    /// The number of examples.
    public var count: Int { labels.count }

    /// The examples at the given indices, in that order.
    public func subset(_ indices: some Collection<Int>) -> Dataset {
        Dataset(features: features.gatherRows(indices), labels: indices.map { labels[$0] })
    }

    /// How many examples of each class (index = class).
    public func classCounts(classes: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: classes)
        for label in labels where label >= 0 && label < classes { counts[label] += 1 }
        return counts
    }

    /// Reads CSV rows of numbers whose last column is the class; every feature is multiplied by
    /// `scale` (the digits' pixels are 0…16, so 1/16 puts them in 0…1).
    public static func csv(_ text: String, scale: Float = 1) throws(DatasetError) -> Dataset {
        var storage: [Float] = []
        var labels: [Int] = []
        var width: Int?
        for (index, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 2 else { throw .malformed(line: index + 1, reason: "needs features and a label") }
            if let width, fields.count - 1 != width {
                throw .malformed(line: index + 1, reason: "\(fields.count - 1) features, expected \(width)")
            }
            width = fields.count - 1
            for field in fields.dropLast() {
                guard let value = Float(field.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                    throw .malformed(line: index + 1, reason: "'\(field)' is not a number")
                }
                storage.append(value * scale)
            }
            guard let label = Int(fields.last!.trimmingCharacters(in: .whitespaces)), label >= 0 else {
                throw .malformed(line: index + 1, reason: "label '\(fields.last!)' is not a class number")
            }
            labels.append(label)
        }
        guard let width else { throw .empty }
        return Dataset(features: Tensor(shape: [labels.count, width], storage: storage), labels: labels)
    }

    /// The same data as CSV (features then label), the format `csv(_:scale:)` reads.
    public func csvText(scale: Float = 1) -> String {
        var out = ""
        for row in 0..<count {
            for column in 0..<features.columns { out += "\(features[row, column] * scale)," }
            out += "\(labels[row])\n"
        }
        return out
    }
}

/// Why a dataset could not be read.
public enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case malformed(line: Int, reason: String)

    public var description: String {
        switch self {
        case .empty: "the dataset has no rows"
        case .malformed(let line, let reason): "line \(line): \(reason)"
        }
    }
}

extension Dataset {
    /// Reads a CSV file (gzip-compressed when its name ends in `.gz`).
    public static func csvFile(_ path: String, scale: Float = 1) throws -> Dataset {
        let text: String
        if path.hasSuffix(".gz") {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["gzip", "-dc", path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            // blocking: gzip needs nothing from this process, so these waits end; they last as long
            // as reading the file (tools and tests read a dataset once, at start-up).
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit() // blocking: see above
            guard process.terminationStatus == 0 else { throw DatasetError.malformed(line: 0, reason: "gzip could not read \(path)") }
            text = String(decoding: data, as: UTF8.self)
        } else {
            text = try String(contentsOfFile: path, encoding: .utf8)
        }
        return try csv(text, scale: scale)
    }
}
