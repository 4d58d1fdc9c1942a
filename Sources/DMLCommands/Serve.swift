import ArgumentParser
import DMLCore
import DMLLedger
import DMLNode
import DMLSandbox
import DMLServer
import DMLStore
import DMLSystem
import Foundation
import Logging

/// `dml serve`: the sequencer, the indexer and the HTTP API, until SIGTERM/SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the API server (and the ledger's sequencer) on the data folder or DATABASE_URL.",
        discussion: """
            On a fresh folder it first creates a development chain (as `dml init` does). Secrets: DML_SECRET \
            (at least 32 characters) seals the keys kept for users and signs tokens; without it, a random secret is \
            kept in DIR/server.secret (owner-only).
            """)

    @OptionGroup var options: DataOptions
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one; the chosen port is printed).") var port: Int = 8080
    @Option(help: "bcrypt cost for passwords (4–31; 12 in production).") var bcryptCost: UInt8 = 12
    @Option(help: "Requests per second per client (0 turns limits off, sign-in's too; default 100).") var rateLimit: Double = -1
    @Option(help: "The longest a device's request for work waits (0–25 s).") var jobWaitMaxSeconds: Int = 25
    @Option(help: "Longest wait, in milliseconds, before a block is cut (lower: faster replies, more blocks).")
    var blockIntervalMs: Int = 5
    @Option(help: "How long a federated round waits for all its devices to join before starting with the minimum (seconds).")
    var federatedJoinSeconds: Double = 5
    @Option(help: "How long each later phase of a federated round waits for every expected device (seconds).")
    var federatedPhaseSeconds: Double = 30

    func run() async throws {
        guard (4...31).contains(bcryptCost) else { throw CommandFailure("--bcrypt-cost must be 4…31") }
        guard (1...1_000).contains(blockIntervalMs) else { throw CommandFailure("--block-interval-ms must be 1…1000") }
        var logger = Logger(label: "dml.serve")
        logger.logLevel = ProcessInfo.processInfo.environment["DML_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let secret = try Self.secret(dataDirectory: options.data)
        let location = options.location
        // On PostgreSQL several processes may serve one chain: the holder of the lock sequences.
        let lock: SequencerLock? = if case .postgres = location { try await SequencerLock.open(location, logger: logger) } else { nil }
        let ledger: LedgerAccess
        do {
            ledger = try await openLedger(lock: lock, logger: logger)
        } catch {
            await lock?.close()
            throw error
        }
        let database: APIDatabase
        do {
            database = try await APIDatabase.open(APIDatabase.location(forLog: location, dataDirectory: options.data), logger: logger)
        } catch {
            await ledger.close()
            await lock?.close()
            throw error
        }
        var configuration = APIServer.Configuration(
            secret: secret, artifactsDirectory: (options.data as NSString).appendingPathComponent("artifacts"))
        configuration.host = host
        configuration.port = port
        configuration.bcryptCost = bcryptCost
        configuration.revealConfirmationTokens = ledger.spec.isDevelopment
        if rateLimit >= 0 { configuration.rateLimit.perSecond = rateLimit }
        // Off means off: the sign-in limit too (benchmarks, contract tests, a limiting proxy in front).
        if rateLimit == 0 { configuration.signInRateLimit.perSecond = 0 }
        // Re-runs of untrusted algorithms happen in a child process with a wall-clock bound.
        configuration.algorithmRunner = ChildProcessSandbox.ofThisExecutable()
        guard (0...25).contains(jobWaitMaxSeconds) else { throw CommandFailure("--job-wait-max-seconds must be 0…25") }
        configuration.jobWaitMaxSeconds = jobWaitMaxSeconds
        guard (0.1...3_600).contains(federatedJoinSeconds), (0.1...3_600).contains(federatedPhaseSeconds) else {
            throw CommandFailure("--federated-join-seconds and --federated-phase-seconds must be 0.1…3600")
        }
        configuration.federatedJoinMilliseconds = UInt64(federatedJoinSeconds * 1_000)
        configuration.federatedPhaseMilliseconds = UInt64(federatedPhaseSeconds * 1_000)
        // A server whose pool stops running work (every thread blocked) says so, with the stacks
        // that show where, instead of going silent.
        StallWatchdog.start(limitSeconds: 60) { [logger] stall in logger.critical("\(stall.description)") }
        do {
            let server = try await APIServer.make(ledger: ledger, lock: lock, location: location, ledgerConfiguration: ledgerConfiguration,
                                                  database: database, configuration: configuration, logger: logger)
            let host = self.host
            try await server.run { port in
                let role = ledger.isSequencer ? "sequencer" : "follower"
                FileHandle.standardOutput.write(Data("dml serving chain \(ledger.spec.name) on http://\(host):\(port) (\(role))\n".utf8))
            }
        } catch {
            await database.close()
            await ledger.close()
            await lock?.close()
            throw error
        }
        await database.close()
        await ledger.close()
        await lock?.close()
    }

    /// Sequences when alone (SQLite) or when the lock is free; otherwise follows the log that
    /// the sequencing process writes, once it exists.
    func openLedger(lock: SequencerLock?, logger: Logger) async throws -> LedgerAccess {
        if let lock, try await !lock.tryAcquire() {
            for _ in 0..<600 {
                let log = try await BlockLog.open(options.location, logger: quietLogger())
                let exists = try await log.chainSpec() != nil
                await log.close()
                if exists { return await LedgerAccess(following: try await LedgerFollower.open(options.location, logger: logger), logger: logger) }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw CommandFailure("another process holds the sequencer lock but no chain appeared in 60 s")
        }
        return LedgerAccess(sequencing: try await openOrCreateChain(), logger: logger)
    }

    var ledgerConfiguration: LedgerService.Configuration {
        var configuration = LedgerService.Configuration()
        configuration.blockIntervalMilliseconds = blockIntervalMs
        // Short blocks come many per second under load; a snapshot every 1 000 of them would stall
        // the sequencer every few seconds. Restarts replay at most 10 000 blocks instead.
        configuration.snapshotIntervalBlocks = 10_000
        return configuration
    }

    func openOrCreateChain() async throws -> LocalChain {
        let existing = try await BlockLog.open(options.location, logger: quietLogger())
        let spec = try await existing.chainSpec()
        await existing.close()
        if spec != nil { return try await options.openChain(configuration: ledgerConfiguration) }
        let admin = try (try? options.keys.load("admin")) ?? options.keys.create("admin")
        return try await options.openChain(spec: newChainSpec(admin: admin.account, allocation: .tokens(1_000_000)!),
                                           configuration: ledgerConfiguration)
    }

    /// `DML_SECRET`, or a random secret kept in `DIR/server.secret` (0600).
    static func secret(dataDirectory: String) throws -> [UInt8] {
        if let text = ProcessInfo.processInfo.environment["DML_SECRET"] {
            guard text.utf8.count >= 32 else { throw CommandFailure("DML_SECRET must be at least 32 characters") }
            return Array(text.utf8)
        }
        let path = (dataDirectory as NSString).appendingPathComponent("server.secret")
        if let data = FileManager.default.contents(atPath: path), let bytes = Hex.decode(String(decoding: data, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count >= 32 { return bytes }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255) }
        guard FileManager.default.createFile(atPath: path, contents: Data(Hex.encode(bytes).utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CommandFailure("cannot write \(path)")
        }
        return bytes
    }
}
