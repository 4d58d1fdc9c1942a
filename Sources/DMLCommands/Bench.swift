import ArgumentParser
import DMLNode
import DMLStore
import Foundation

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark the ledger: durable signed transfers per second beside raw Ed25519 verification.",
        discussion: "Build with -c release for meaningful numbers: swift run -c release dml bench")

    @Option(help: "How many transfers.") var transactions = 100_000
    @Option(help: "How many accounts send them.") var accounts = 10_000
    @Option(help: "A PostgreSQL URL to benchmark as well (default: DATABASE_URL if set).") var postgres: String?

    func run() async throws {
        var configuration = LedgerBenchmark.Configuration()
        configuration.transactions = transactions
        configuration.accounts = min(accounts, transactions)
        print(machineDescription())
        let folder = NSTemporaryDirectory() + "dml-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let benchmark = LedgerBenchmark(configuration)
        let lanes = max(1, transactions / MixedWorkload.transactionsPerLane)
        print("\n== SQLite")
        var sqlite = try await benchmark.run(on: .sqlite(path: folder + "/bench.sqlite")) { print("  \($0)") }
        sqlite.mixedTransactionsPerSecond = try await benchmark.runMixed(lanes: lanes, on: .sqlite(path: folder + "/mixed.sqlite")) { print("  \($0)") }
        print(sqlite)
        if let url = postgres ?? ProcessInfo.processInfo.environment["DATABASE_URL"] {
            print("\n== PostgreSQL")
            let schema = "bench_\(UInt32.random(in: 0...UInt32.max))"
            var postgres = try await benchmark.run(on: .postgres(url: url, schema: schema)) { print("  \($0)") }
            postgres.mixedTransactionsPerSecond = try await benchmark.runMixed(lanes: lanes, on: .postgres(url: url, schema: schema + "_mixed")) { print("  \($0)") }
            print(postgres)
        }
    }
}

/// Cores, memory and CPU model, printed at the top of every benchmark.
func machineDescription() -> String {
    let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model = info.split(separator: "\n").first { $0.hasPrefix("model name") }
        .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown CPU"
    return "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB; \(model)"
}
