import ArgumentParser
import DMLLearning
import DMLWorker
import Foundation

/// `dml fl`: federated learning on this machine — the accuracy experiments and the benchmarks.
struct FederatedLearning: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fl", abstract: "Federated learning: the digits experiments and the aggregation benchmarks.",
        subcommands: [Experiments.self, LearningBench.self, RoundBench.self, FLWorker.self])

    struct Experiments: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train on the digits dataset across ten simulated devices: FedAvg, secure aggregation, DP-SGD, poisoning.")
        @Option(help: "The digits CSV (gzip allowed), last column the label.")
        var data = "examples/algorithms/digits/data/digits.csv.gz"
        @Option(help: "Rounds per experiment.") var rounds = 30
        @Flag(help: "Print every round's accuracy, not only the summary.") var curves = false

        func run() async throws {
            var experiments = DigitsExperiments(all: try Dataset.csvFile(data, scale: 1.0 / 16))
            experiments.rounds = rounds
            print("# dml fl experiments — digits: \(experiments.train.count) training examples on \(experiments.devices) devices, \(experiments.test.count) held out; softmax regression, \(rounds) rounds")
            print("scenario | final accuracy | best | ε (δ = 1e-5) | seconds")
            print("---|---|---|---|---")
            for scenario in try experiments.scenarios() {
                let clock = ContinuousClock()
                let start = clock.now
                var curve: [String] = []
                let result = try experiments.run(scenario.plan, nonIID: scenario.nonIID, dropout: scenario.dropout,
                                                 attack: scenario.attack) { curve.append(String(format: "%.3f", $0.accuracy)) }
                let seconds = (clock.now - start) / .seconds(1)
                let epsilon = try scenario.plan.privacyGuarantee(delta: DigitsExperiments.delta).map { String(format: "%.2f", $0.epsilon) } ?? "—"
                print(String(format: "%@ | %.4f | %.4f | %@ | %.1f", scenario.name, result.finalAccuracy,
                             result.rounds.map(\.accuracy).max() ?? 0, epsilon, seconds))
                if curves { print("  accuracy by round: " + curve.joined(separator: " ")) }
            }
        }
    }
}

/// `dml fl bench`: what aggregation costs — FedAvg beside NumPy, secure aggregation beside plain.
struct LearningBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark aggregation (build with -c release): FedAvg vs NumPy, secure-aggregation costs.")

    @Option(help: "Updates averaged by FedAvg.") var updates = 100
    @Option(help: "Parameters per FedAvg update.") var parameters = 1_000_000
    @Option(help: "Devices in the secure-aggregation round.") var secureDevices = 100
    @Option(help: "Parameters in the secure-aggregation round.") var secureParameters = 100_000
    @Option(help: "Repetitions (the best is reported).") var repeats = 5

    func run() async throws {
        print("# dml fl bench — \(ProcessInfo.processInfo.activeProcessorCount) cores, \(AlgoBench.cpuModel())")
        try await fedAvg()
        try secureAggregation(dropout: 0)
        try secureAggregation(dropout: 0.1)
    }

    func fedAvg() async throws {
        var generator = SeededXoshiro(seed: 1)
        let list = (0..<updates).map { index in
            ClientUpdate(contributor: String(format: "%06d", index),
                         parameters: (0..<parameters).map { _ in Float.random(in: -1...1, using: &generator) },
                         exampleCount: Int.random(in: 50..<200, using: &generator))
        }
        let current = [Float](repeating: 0, count: parameters)
        // Swift, NumPy, Swift again: the machine's noise is shared, the best of each is kept.
        var swift = try best { _ = try FedAvg().aggregate(list, current: current) }
        let numpy = try await runCommand("/usr/bin/env", ["python3", "scripts/bench/fedavg_numpy.py", "\(updates)", "\(parameters)", "\(repeats)"])
        swift = min(swift, try best { _ = try FedAvg().aggregate(list, current: current) })
        guard numpy.status == 0, let json = try JSONSerialization.jsonObject(with: Data(numpy.output.utf8)) as? [String: Any],
              let flower = json["flower_seconds"] as? Double, let average = json["average_seconds"] as? Double,
              let matvec = json["matvec_seconds"] as? Double else {
            throw CommandFailure("the NumPy benchmark failed (is numpy installed? pip install numpy): \(numpy.error)")
        }
        print(String(format: "FedAvg %d × %d (one array per update): Swift %.1f ms", updates, parameters, swift * 1e3))
        print(String(format: "  NumPy %@: as Flower aggregates (one array per update) %.1f ms (Swift ×%.1f faster); np.average on a stacked matrix %.1f ms (×%.1f); float32 matvec (BLAS sgemv) on a stacked matrix %.1f ms (×%.2f)",
                     json["numpy"] as? String ?? "?", flower * 1e3, flower / swift, average * 1e3, average / swift, matvec * 1e3, matvec / swift))
    }

    /// One round end to end in process, timing each side: a device's work (keys, shares,
    /// masking) and the server's (routing, unmasking), beside summing the same plain vectors.
    func secureAggregation(dropout: Double) throws {
        let devices = secureDevices, length = secureParameters + 1
        let config = try SecAggConfig(round: 1, threshold: SecAggConfig.defaultThreshold(deviceCount: devices), vectorLength: length)
        var generator = SeededXoshiro(seed: 2)
        let inputs = (0..<devices).map { _ in (0..<length).map { _ in UInt32.random(in: 0...1_000, using: &generator) } }
        let names = (0..<devices).map { String(format: "device-%03d", $0) }
        let clock = ContinuousClock()
        var deviceTime = Duration.zero, serverTime = Duration.zero
        func timed<T>(_ total: inout Duration, _ body: () throws -> T) rethrows -> T {
            let start = clock.now
            defer { total += clock.now - start }
            return try body()
        }
        var server = SecAggServer(config: config)
        var clients = try names.map { name in try timed(&deviceTime) { try SecAggDevice(id: name, config: config) } }
        for client in clients { try timed(&serverTime) { try server.receiveAdvertisement(client.advertisement) } }
        let roster = try timed(&serverTime) { try server.publishRoster() }
        for index in clients.indices {
            let upload = try timed(&deviceTime) { try clients[index].shareKeys(roster: roster) }
            try timed(&serverTime) { try server.receiveShares(upload) }
        }
        _ = try timed(&serverTime) { try server.closeShares() }
        let dropped = Set(names.prefix(Int(Double(devices) * dropout)))
        for index in clients.indices where !dropped.contains(names[index]) {
            let delivery = try timed(&serverTime) { try server.shareDelivery(for: names[index]) }
            let masked = try timed(&deviceTime) { try clients[index].maskInput(inputs[index], delivery: delivery) }
            try timed(&serverTime) { try server.receiveMaskedInput(masked) }
        }
        let request = try timed(&serverTime) { try server.requestUnmasking() }
        for index in clients.indices where !dropped.contains(names[index]) {
            let reply = try timed(&deviceTime) { try clients[index].unmask(request) }
            try timed(&serverTime) { try server.receiveUnmaskingReply(reply) }
        }
        let result = try timed(&serverTime) { try server.finish() }
        // The check that the sum is right, and the plain aggregation it replaces.
        var plain = [UInt32](repeating: 0, count: length)
        let plainSeconds = try best {
            plain = [UInt32](repeating: 0, count: length)
            for index in inputs.indices where !dropped.contains(names[index]) {
                for j in 0..<length { plain[j] &+= inputs[index][j] }
            }
        }
        guard result.sum == plain else { throw CommandFailure("secure aggregation gave a wrong sum") }
        let perDevice = deviceTime / .seconds(1) / Double(devices)
        print(String(format: "secure aggregation %d devices × %d parameters, %d%% dropouts: device %.1f ms (keys, shares, masking, unmasking), server %.1f ms; plain sum %.1f ms",
                     devices, secureParameters, Int(dropout * 100), perDevice * 1e3, serverTime / .seconds(1) * 1e3, plainSeconds * 1e3))
    }

    func best(_ body: () throws -> Void) throws -> Double {
        let clock = ContinuousClock()
        var best = Double.infinity
        for _ in 0..<max(1, repeats) {
            let start = clock.now
            try body()
            best = min(best, (clock.now - start) / .seconds(1))
        }
        return best
    }
}

extension FederatedLearning {
    /// `dml fl worker`: be a device in federated jobs.
    struct FLWorker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "worker", abstract: "Be a device in a federated job: train on local data, send (masked) updates.")
        @Option(help: "The API server.") var server = "http://127.0.0.1:8080"
        @Option(help: "The device's folder (its key lives there).") var data = "./device"
        @Option(help: "The local labelled data: CSV (gzip allowed), label last.") var input: String
        @Option(help: "Multiply every feature by this (digits: 0.0625).") var scale: Float = 1
        @Option(help: "The federated job (default: the newest open one).") var job: UInt64?
        @Option(help: "Long-poll seconds per request.") var wait = 20
        @Option(help: "Experiments only: the chance of dropping out of each round after sharing keys.") var dropoutRate = 0.0

        func run() async throws {
            guard let url = URL(string: server) else { throw CommandFailure("--server is not a URL") }
            var configuration = FederatedWorker.Configuration(server: url, dataDirectory: URL(fileURLWithPath: data),
                                                              input: URL(fileURLWithPath: input))
            configuration.scale = scale
            configuration.waitSeconds = wait
            configuration.dropoutRate = dropoutRate
            let worker = try FederatedWorker(configuration)
            print("device \(worker.client.key.account.address)")
            try await worker.run(job: job) { step in print(step) }
        }
    }
}
