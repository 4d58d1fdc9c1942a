import ArgumentParser
import DMLCore
import DMLLedger
import DMLNode
import DMLStore
import Foundation
import Logging

/// `dml`: every command of DML's command line.
public struct DML: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "dml",
        abstract: "DML — a decentralized machine-learning marketplace on a verifiable ledger.",
        subcommands: [Demo.self, Init.self, Keys.self, Transfer.self, Faucet.self, Balance.self, BlockCommand.self,
                      LedgerCommand.self, Bench.self, Serve.self, APIBench.self, StorageNodeCommand.self, StorageCommand.self,
                      AlgoCommand.self, WorkerCommand.self, JobCommand.self, FederatedLearning.self, SandboxExec.self, StallCheck.self])

    public init() {}
}

/// Options every command that touches a local chain shares.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "The data folder (keys, SQLite log). DATABASE_URL, if set, puts the log in PostgreSQL.")
    var data: String = ".dml"

    var location: DatabaseLocation { DatabaseLocation.resolve(dataDirectory: data) }
    var keys: KeyStore { KeyStore(dataDirectory: data) }

    /// Opens the block log, runs `body` on it and closes it on every path; an error becomes a
    /// `CommandFailure` with its own description.
    func withLog<T>(_ body: (BlockLog) async throws -> T) async throws -> T {
        let log = try await BlockLog.open(location, logger: quietLogger())
        do {
            let value = try await body(log)
            await log.close()
            return value
        } catch {
            await log.close()
            throw error as? CommandFailure ?? CommandFailure("\(error)")
        }
    }

    func openChain(spec: ChainSpec? = nil, configuration: LedgerService.Configuration = .init()) async throws -> LocalChain {
        try await LocalChain.open(location, spec: spec, configuration: configuration, logger: quietLogger())
    }
}

/// The spec `dml init` (and `dml serve` on a fresh folder) creates: `admin` is the only
/// super-admin and holds the whole genesis allocation; a production chain has no faucet.
func newChainSpec(admin: AccountID, allocation: Amount, production: Bool = false) -> ChainSpec {
    ChainSpec(name: production ? "dml" : "dml-dev", isDevelopment: !production,
              genesisTimestampMilliseconds: LedgerService.wallClockMilliseconds(),
              allocations: [ChainSpec.Allocation(admin, allocation)], superAdmins: [admin])
}

func quietLogger() -> Logger {
    var logger = Logger(label: "dml")
    logger.logLevel = .warning
    return logger
}

/// A failure to show the person at the terminal, without a stack trace.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Parses a decimal DML amount, with a clear error.
func parseAmount(_ text: String) throws -> Amount {
    guard let amount = Amount(decimal: text) else {
        throw CommandFailure("'\(text)' is not an amount of DML (e.g. 12 or 0.5, at most 9 decimals)")
    }
    return amount
}
