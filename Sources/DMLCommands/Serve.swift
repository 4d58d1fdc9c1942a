import ArgumentParser
import DMLCore
import DMLLedger
import DMLNode
import DMLServer
import DMLStore
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

    func run() async throws {
        guard (4...31).contains(bcryptCost) else { throw CommandFailure("--bcrypt-cost must be 4…31") }
        var logger = Logger(label: "dml.serve")
        logger.logLevel = ProcessInfo.processInfo.environment["DML_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let secret = try Self.secret(dataDirectory: options.data)
        let chain = try await openOrCreateChain()
        let database: APIDatabase
        do {
            database = try await APIDatabase.open(APIDatabase.location(forLog: options.location, dataDirectory: options.data), logger: logger)
        } catch {
            await chain.close()
            throw error
        }
        var configuration = APIServer.Configuration(
            secret: secret, artifactsDirectory: (options.data as NSString).appendingPathComponent("artifacts"))
        configuration.host = host
        configuration.port = port
        configuration.bcryptCost = bcryptCost
        configuration.revealConfirmationTokens = chain.service.spec.isDevelopment
        do {
            let server = try await APIServer(chain: chain, database: database, configuration: configuration, logger: logger)
            let host = self.host
            try await server.run { port in
                FileHandle.standardOutput.write(Data("dml serving chain \(chain.service.spec.name) on http://\(host):\(port)\n".utf8))
            }
        } catch {
            await database.close()
            await chain.close(snapshot: true)
            throw error
        }
        await database.close()
        await chain.close(snapshot: true)
    }

    func openOrCreateChain() async throws -> LocalChain {
        let existing = try await BlockLog.open(options.location, logger: quietLogger())
        let spec = try await existing.chainSpec()
        await existing.close()
        if spec != nil { return try await options.openChain() }
        let admin = try (try? options.keys.load("admin")) ?? options.keys.create("admin")
        return try await options.openChain(spec: newChainSpec(admin: admin.account, allocation: .tokens(1_000_000)!))
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
