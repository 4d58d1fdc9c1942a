/// What an algorithm is and how the host runs it: the manifest of an algorithm package.
///
/// The manifest is part of the package's content address, so a device, the server and an
/// auditor who hold the same address run the same modules under the same limits.
public struct AlgorithmManifest: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    /// The host ABI the modules are written against (`HostABI.version`).
    public var abi: Int
    /// The exported function each module runs (`() -> i32`, 0 = success).
    public var entry: String
    /// The main module's file name inside the package.
    public var module: String
    /// Optional stages around the main module (seed 002: pre- and post-processing belong to the
    /// execution flow). Each stage's output is the next stage's input.
    public var preprocess: String?
    public var postprocess: String?
    public var input: InputSchema
    public var output: OutputSchema
    public var limits: Limits
    public var aggregation: AggregationRule
    /// The reducer module for `aggregation: "reducer"`.
    public var reducer: String?
    public var report: ReportHints?
    /// Human description, optional.
    public var description: String?

    public init(name: String, version: String, abi: Int = HostABI.version, entry: String = "run", module: String,
                preprocess: String? = nil, postprocess: String? = nil, input: InputSchema, output: OutputSchema,
                limits: Limits = Limits(), aggregation: AggregationRule, reducer: String? = nil,
                report: ReportHints? = nil, description: String? = nil) {
        self.name = name
        self.version = version
        self.abi = abi
        self.entry = entry
        self.module = module
        self.preprocess = preprocess
        self.postprocess = postprocess
        self.input = input
        self.output = output
        self.limits = limits
        self.aggregation = aggregation
        self.reducer = reducer
        self.report = report
        self.description = description
    }

    public struct InputSchema: Codable, Sendable, Equatable {
        public var format: InputFormat
        /// For `f32-matrix`: the number of columns every row must have.
        public var columns: Int?
        /// The most bytes of input the device hands to the module.
        public var maxBytes: Int?

        public init(format: InputFormat, columns: Int? = nil, maxBytes: Int? = nil) {
            self.format = format
            self.columns = columns
            self.maxBytes = maxBytes
        }
    }

    public struct OutputSchema: Codable, Sendable, Equatable {
        public var format: OutputFormat
        /// One name per value of an `f64-vector`: the vector has exactly this many values.
        public var fields: [String]

        public init(format: OutputFormat = .f64Vector, fields: [String]) {
            self.format = format
            self.fields = fields
        }
    }

    /// The sandbox's bounds for one run (all stages together for fuel and output).
    public struct Limits: Codable, Sendable, Equatable {
        /// WebAssembly operators the run may execute (≈ 1.5–2.3 M per millisecond here, release).
        public var fuel: UInt64
        /// The most 64 KiB pages of linear memory a module may have.
        public var memoryPages: Int
        /// The most bytes a stage may write with `output_write`.
        public var outputBytes: Int
        /// Wall-clock bound of a run in a child process (the process is killed after it).
        public var wallClockMilliseconds: Int?

        public init(fuel: UInt64 = 2_000_000_000, memoryPages: Int = 64, outputBytes: Int = 65_536,
                    wallClockMilliseconds: Int? = nil) {
            self.fuel = fuel
            self.memoryPages = memoryPages
            self.outputBytes = outputBytes
            self.wallClockMilliseconds = wallClockMilliseconds
        }
    }

    public struct ReportHints: Codable, Sendable, Equatable {
        public var title: String?
        public var chart: String?
        public init(title: String? = nil, chart: String? = nil) {
            self.title = title
            self.chart = chart
        }
    }
}

public enum InputFormat: String, Codable, Sendable {
    /// `u32 rows, u32 columns` (little-endian), then `rows × columns` f32 LE, row-major.
    case f32Matrix = "f32-matrix"
    /// The device's bytes as they are.
    case bytes
}

public enum OutputFormat: String, Codable, Sendable {
    /// Exactly `fields.count` f64 LE values, each finite.
    case f64Vector = "f64-vector"
}

/// How the outputs of many devices become one result.
public enum AggregationRule: String, Codable, Sendable, CaseIterable {
    /// Element-wise sum (counts, label counts, histograms).
    case sum
    /// Element-wise mean over devices.
    case mean
    case min
    case max
    /// Fields in groups of five per column — count, sum, sum of squares, min, max — merged
    /// exactly; the report derives mean and standard deviation.
    case columnStats
    /// A WebAssembly reducer module (same ABI): its input is the outputs, concatenated in
    /// device-key order; its output is the aggregate vector.
    case reducer
}

/// Limits on manifests themselves, so that a hostile package cannot make the host work hard.
public enum ManifestLimits {
    public static let nameBytesMax = 128
    public static let versionBytesMax = 64
    public static let fieldsMax = 4_096
    public static let fieldBytesMax = 128
    public static let columnsMax = 65_536
    public static let fuelMax: UInt64 = 1_000_000_000_000
    /// 1 GiB of linear memory.
    public static let memoryPagesMax = 16_384
    public static let outputBytesMax = 16 * 1024 * 1024
    public static let wallClockMillisecondsMax = 3_600_000
    public static let descriptionBytesMax = 4_096
}

extension AlgorithmManifest {
    /// Every problem with the manifest, or none; `PackageError.invalidManifest` carries them.
    public func problems() -> [String] {
        var problems: [String] = []
        func text(_ name: String, _ value: String, max: Int, optional: Bool = false) {
            if value.isEmpty && !optional { problems.append("\(name) is empty") }
            if value.utf8.count > max { problems.append("\(name) has \(value.utf8.count) bytes, at most \(max)") }
        }
        text("name", name, max: ManifestLimits.nameBytesMax)
        text("version", version, max: ManifestLimits.versionBytesMax)
        text("entry", entry, max: ManifestLimits.nameBytesMax)
        text("module", module, max: ManifestLimits.nameBytesMax)
        text("description", description ?? "", max: ManifestLimits.descriptionBytesMax, optional: true)
        if abi != HostABI.version { problems.append("abi \(abi) is not supported (this host speaks \(HostABI.version))") }
        if input.format == .f32Matrix {
            if let columns = input.columns {
                if columns < 1 || columns > ManifestLimits.columnsMax {
                    problems.append("input.columns must be 1…\(ManifestLimits.columnsMax), got \(columns)")
                }
            } else {
                problems.append("input.columns is required for f32-matrix")
            }
        }
        if let maxBytes = input.maxBytes, maxBytes < 1 { problems.append("input.maxBytes must be positive") }
        if output.fields.isEmpty { problems.append("output.fields is empty") }
        if output.fields.count > ManifestLimits.fieldsMax {
            problems.append("output.fields has \(output.fields.count) names, at most \(ManifestLimits.fieldsMax)")
        }
        if output.fields.contains(where: { $0.isEmpty || $0.utf8.count > ManifestLimits.fieldBytesMax }) {
            problems.append("each output field name has 1…\(ManifestLimits.fieldBytesMax) bytes")
        }
        if Set(output.fields).count != output.fields.count { problems.append("output.fields has duplicate names") }
        if output.fields.count * 8 > limits.outputBytes {
            problems.append("limits.outputBytes (\(limits.outputBytes)) cannot hold \(output.fields.count) f64 values")
        }
        if limits.fuel == 0 || limits.fuel > ManifestLimits.fuelMax { problems.append("limits.fuel must be 1…\(ManifestLimits.fuelMax)") }
        if limits.memoryPages < 1 || limits.memoryPages > ManifestLimits.memoryPagesMax {
            problems.append("limits.memoryPages must be 1…\(ManifestLimits.memoryPagesMax)")
        }
        if limits.outputBytes < 1 || limits.outputBytes > ManifestLimits.outputBytesMax {
            problems.append("limits.outputBytes must be 1…\(ManifestLimits.outputBytesMax)")
        }
        if let wall = limits.wallClockMilliseconds, wall < 1 || wall > ManifestLimits.wallClockMillisecondsMax {
            problems.append("limits.wallClockMilliseconds must be 1…\(ManifestLimits.wallClockMillisecondsMax)")
        }
        if aggregation == .columnStats && output.fields.count % 5 != 0 {
            problems.append("columnStats needs five fields per column (count, sum, sum of squares, min, max)")
        }
        if aggregation == .reducer && reducer == nil { problems.append("aggregation 'reducer' names no reducer module") }
        return problems
    }

    /// The module files the package must contain, stages in order, then the reducer.
    public var moduleNames: [String] {
        [preprocess, module, postprocess, aggregation == .reducer ? reducer : nil].compactMap { $0 }
    }

    /// The stages of one run, in order.
    public var stages: [String] { [preprocess, module, postprocess].compactMap { $0 } }
}
