import ArgumentParser
import DMLCore
import DMLSandbox
import Foundation

/// `dml algo bench`: what running algorithms costs, in one run — runs per second of a small
/// algorithm through the whole sandbox path, the sandbox's overhead over calling the module
/// directly, and each example's WasmKit time against the same C compiled natively.
struct AlgoBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the sandbox (build with -c release): runs/s, overhead over a direct call, WasmKit vs native.")

    @Option(help: "The examples folder (built here with its build.sh --native).") var examples: String = "examples/algorithms"
    @Option(help: "Seconds per measurement.") var seconds: Double = 2

    func run() async throws {
        let root = URL(fileURLWithPath: examples)
        let build = try await runCommand("/bin/bash", [root.appendingPathComponent("build.sh").path, "--native"])
        guard build.status == 0 else { throw CommandFailure("build.sh --native failed: \(build.error)") }
        print("# dml algo bench — \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Self.cpuModel())")
        print("# each figure: as many runs as fit in \(seconds) s (after one warm-up run)")

        let stats = try AlgorithmPackage.pack(folder: root.appendingPathComponent("build/packages/column-stats"))
        let digits = try AlgorithmPackage.pack(folder: root.appendingPathComponent("build/packages/digits"))
        let cancer = try InputCodec.rows(csv: String(contentsOf: root.appendingPathComponent("column-stats/data/breast_cancer.csv"), encoding: .utf8),
                                         dropColumns: 1)
        let digitsText = try await gunzip(root.appendingPathComponent("digits/data/digits.csv.gz"))
        let images = try InputCodec.rows(csv: digitsText, dropColumns: 1)

        // 1. A small algorithm through the whole sandbox path: 10 rows of column statistics.
        let small = InputCodec.matrix(Array(cancer.rows.prefix(10)), columns: 30)
        let sandbox = Sandbox()
        let full = measure { precondition(sandbox.run(stats, input: small).outcome == .completed) }
        let module = try requireModuleBytes(stats)
        let direct = try DirectCall(module: module, input: small)
        let bare = measure { _ = try? direct.call() }
        print(String(format: "small run (column-stats, 10 rows × 30): sandbox %.0f runs/s (%.1f µs/run), direct call %.0f runs/s (%.1f µs/run), overhead ×%.2f",
                     full.perSecond, full.microseconds, bare.perSecond, bare.microseconds, full.microseconds / bare.microseconds))

        // 2. The examples, sandboxed (fuel on) against native C on the same input.
        for (name, package, rows, columns) in [("column-stats", stats, cancer.rows, 30), ("digits", digits, images.rows, 64)] {
            let input = InputCodec.matrix(rows, columns: columns)
            let wasm = measure { precondition(sandbox.run(package, input: input).outcome == .completed) }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("dml-bench-\(name).bin")
            try Data(input).write(to: file)
            let native = try await nativeMicroseconds(root.appendingPathComponent("build/\(name)-native").path, input: file.path, repeats: max(1, Int(seconds * 1e6 / max(wasm.microseconds / 20, 1))))
            print(String(format: "%@ (%d rows × %d): WasmKit %.1f µs/run, native %.1f µs/run, ratio ×%.1f",
                         name, rows.count, columns, wasm.microseconds, native, wasm.microseconds / native))
        }
    }

    struct Measurement {
        let perSecond: Double
        let microseconds: Double
    }

    func measure(_ body: () -> Void) -> Measurement {
        body()
        let clock = ContinuousClock()
        var runs = 0
        let started = clock.now
        var elapsed = Duration.zero
        while elapsed < .milliseconds(Int(seconds * 1_000)) {
            body()
            runs += 1
            elapsed = clock.now - started
        }
        let total = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Measurement(perSecond: Double(runs) / total, microseconds: total / Double(runs) * 1e6)
    }

    func nativeMicroseconds(_ binary: String, input: String, repeats: Int) async throws -> Double {
        let result = try await runCommand(binary, [input, String(repeats)])
        guard result.status == 0, let line = result.output.split(separator: "\n").last(where: { $0.hasPrefix("# runs=") }),
              let average = line.split(separator: " ").first(where: { $0.hasPrefix("avg_us=") })?.dropFirst(7),
              let microseconds = Double(average) else {
            throw CommandFailure("\(binary) failed: \(result.output) \(result.error)")
        }
        return microseconds
    }

    func gunzip(_ file: URL) async throws -> String {
        let result = try await runCommand("/bin/sh", ["-c", "gzip -dc '\(file.path)'"])
        guard result.status == 0 else { throw CommandFailure("cannot read \(file.path)") }
        return result.output
    }

    static func cpuModel() -> String {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        return info.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
    }
}

/// The main module of a package (benchmarks call it directly).
private func requireModuleBytes(_ package: AlgorithmPackage) throws -> [UInt8] {
    guard let module = package.modules[package.manifest.module] else { throw CommandFailure("the package has no main module") }
    return module
}
