import ArgumentParser
import DMLCore
import DMLLedger
import DMLNode
import DMLStore
import Foundation

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a development chain in the data folder, with a key 'admin' as super-admin.")

    @OptionGroup var options: DataOptions
    @Option(help: "DML allocated to admin at genesis.") var allocation: String = "1000000"
    @Flag(help: "A production chain: no faucet.") var production = false

    func run() async throws {
        let existing = try await BlockLog.open(options.location, logger: quietLogger())
        let spec = try await existing.chainSpec()
        await existing.close()
        if let spec {
            throw CommandFailure("\(options.location) already holds chain \(spec.name) (\(spec.id.short)…); use another --data folder")
        }
        let admin = try (try? options.keys.load("admin")) ?? options.keys.create("admin")
        let chain = try await options.openChain(spec: newChainSpec(admin: admin.account, allocation: try parseAmount(allocation),
                                                                   production: production))
        let head = await chain.service.head
        await chain.close()
        print("chain \(head.chain) at height \(head.height) in \(options.location)")
        print("admin \(admin.account)")
    }
}

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create and list keys.", subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a new key (stored with permissions 0600).")
        @OptionGroup var options: DataOptions
        @Argument(help: "A name for the key.") var name: String

        func run() async throws {
            let key = try options.keys.create(name)
            print("\(name) \(key.account)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys in the data folder.")
        @OptionGroup var options: DataOptions

        func run() async throws {
            for (name, key) in try options.keys.list() { print("\(name) \(key.account)") }
        }
    }
}

/// Submits one call as a named key and prints the outcome.
func submitAndReport(_ call: Call, as signerName: String, options: DataOptions) async throws {
    let key = try options.keys.load(signerName)
    let chain = try await options.openChain()
    let outcome = await chain.submit(call, as: key)
    await chain.close()
    switch outcome {
    case .success(let inclusion):
        print("included in block \(inclusion.height) as transaction \(inclusion.index) (\(inclusion.hash))")
    case .failure(let error):
        throw CommandFailure("\(error)")
    }
}

struct Transfer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Transfer DML from one of your keys to an account.")
    @OptionGroup var options: DataOptions
    @Option(help: "The name of the sending key.") var from: String
    @Option(help: "A key name or a dml1… address.") var to: String
    @Option(help: "Amount in DML, e.g. 12.5.") var amount: String

    func run() async throws {
        let destination = try options.keys.account(to)
        try await submitAndReport(BalancesCall.transfer(to: destination, amount: try parseAmount(amount)).call, as: from, options: options)
    }
}

struct Faucet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Mint DML to one of your keys (development chains only).")
    @OptionGroup var options: DataOptions
    @Option(help: "The name of the receiving key.") var to: String
    @Option(help: "Amount in DML.") var amount: String

    func run() async throws {
        try await submitAndReport(BalancesCall.faucet(amount: try parseAmount(amount)).call, as: to, options: options)
    }
}

struct Balance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show an account's balance and next nonce.")
    @OptionGroup var options: DataOptions
    @Argument(help: "A key name or a dml1… address.") var account: String

    func run() async throws {
        let id = try options.keys.account(account)
        let chain = try await options.openChain()
        let ledger = await chain.service.ledger
        await chain.close()
        let balance = ledger.balance(of: id)
        print("\(id)\n  free  \(balance.free)\n  held  \(balance.held)\n  nonce \(ledger.nextNonce(of: id))")
    }
}

struct BlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "block", abstract: "Show a block.")
    @OptionGroup var options: DataOptions
    @Argument(help: "The block height (default: the head).") var height: UInt64?

    func run() async throws {
        let log = try await BlockLog.open(options.location, logger: quietLogger())
        let block: Block?
        do {
            let head = try await log.headHeight()
            block = try await (height ?? head).asyncFlatMap { try await log.block(at: $0) }
            await log.close()
        } catch {
            await log.close()
            throw error
        }
        guard let block else { throw CommandFailure(height.map { "there is no block \($0)" } ?? "the log is empty") }
        print(BlockFormatter.describe(block))
    }
}

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "Verify, back up or restore the chain, or run a seeded simulation.",
        subcommands: [Verify.self, Backup.self, Restore.self, Simulate.self, Stress.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-execute the chain from genesis, checking every signature, hash and root.")
        @OptionGroup var options: DataOptions

        func run() async throws {
            let report = try await options.withLog { try await ChainVerifier.verify(log: $0) }
            print("verified \(report.blocks) blocks, \(report.transactions) transactions")
            print("head \(report.head.height) \(report.head.hash)  state root \(report.head.stateRoot)")
            guard report.invariantViolations.isEmpty else {
                throw CommandFailure("invariants broken:\n  " + report.invariantViolations.joined(separator: "\n  "))
            }
            print("invariants hold")
        }
    }

    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the block log to one sealed file (safe while `dml serve` runs; see docs/operations.md).")
        @OptionGroup var options: DataOptions
        @Option(help: "The backup file to write (replaced only once complete).") var out: String

        func run() async throws {
            let summary = try await options.withLog { try await LedgerBackup.write(log: $0, to: out) }
            print("backed up \(summary.blocks) blocks (head \(summary.head.height) \(summary.head.hash.short)…) to \(out): \(summary.bytes) bytes")
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a backup into an empty data folder (or DATABASE_URL) and verify it from genesis.")
        @OptionGroup var options: DataOptions
        @Option(name: .customLong("from"), help: "The backup file (from `dml ledger backup`).") var backup: String

        func run() async throws {
            if case .sqlite = options.location {
                try FileManager.default.createDirectory(atPath: options.data, withIntermediateDirectories: true)
            }
            let report = try await options.withLog { try await LedgerBackup.restore(from: backup, into: $0) }
            guard report.invariantViolations.isEmpty else {
                throw CommandFailure("the restored chain breaks invariants (discard \(options.location)):\n  "
                                     + report.invariantViolations.joined(separator: "\n  "))
            }
            print("restored and verified \(report.blocks) blocks, \(report.transactions) transactions into \(options.location)")
            print("head \(report.head.height) \(report.head.hash)  state root \(report.head.stateRoot)")
        }
    }

    struct Simulate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a seeded simulation with a reference model and restarts; print the final state root.")
        @Option(help: "The seed.") var seed: UInt64 = 1
        @Option(help: "How many steps (each a block of up to 40 transactions).") var steps: Int = 200
        @Option(help: "Folder for the simulation's log (default: a new temporary folder).") var directory: String?

        func run() async throws {
            let folder = directory ?? NSTemporaryDirectory() + "dml-sim-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { if directory == nil { try? FileManager.default.removeItem(atPath: folder) } }
            let result = try await Simulation(Simulation.Configuration(seed: seed, steps: steps), directory: folder).run()
            print("seed \(seed): \(result.accepted) accepted, \(result.rejected) rejected, \(result.restarts) restarts, height \(result.height)")
            print("final state root \(result.finalRoot)")
        }
    }
}

/// Human-readable text for a block.
enum BlockFormatter {
    static func describe(_ block: Block) -> String {
        let header = block.header
        var lines = [
            "block \(header.height)  \(header.hash)",
            "  time         \(header.timestampMilliseconds) ms",
            "  previous     \(header.previousHash)",
            "  transactions \(header.transactionCount)  root \(header.transactionsRoot)",
            "  events       \(header.eventCount)  root \(header.eventsRoot)",
            "  state root   \(header.stateRoot)",
        ]
        for (index, transaction) in block.transactions.enumerated().prefix(50) {
            let payload = transaction.payload
            lines.append("  tx \(index) \(transaction.hash.short) from \(payload.signer) nonce \(payload.nonce) \(describe(payload.call))")
        }
        if block.transactions.count > 50 { lines.append("  … \(block.transactions.count - 50) more transactions") }
        for record in block.events.prefix(50) { lines.append("  event \(describe(record))") }
        return lines.joined(separator: "\n")
    }

    static func describe(_ call: Call) -> String { call.text }

    static func describe(_ record: EventRecord) -> String {
        let phase = switch record.phase {
        case .initialization: "init"
        case .transaction(let index): "tx \(index)"
        }
        return "[\(phase)] \(record.event.text)"
    }
}

/// `dml ledger stress`: submits transfers forever and prints `committed HEIGHT HASH` after each
/// durable block — the victim of the crash tests, which kill it with SIGKILL at random moments.
struct Stress: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit transfers until killed, printing each committed block (for crash tests).", shouldDisplay: false)
    @Option(help: "Folder for the log.") var directory: String
    @Option(help: "How many accounts.") var accounts = 50

    func run() async throws {
        let keys = (0..<accounts).map { AccountKey.insecureDerived(from: "stress-\($0)") }
        let spec = ChainSpec(name: "dml-stress", isDevelopment: true, genesisTimestampMilliseconds: 1_700_000_000_000,
                             allocations: keys.map { .init($0.account, .tokens(1_000_000)!) }, superAdmins: [keys[0].account])
        var configuration = LedgerService.Configuration()
        configuration.blockIntervalMilliseconds = 2
        configuration.snapshotIntervalBlocks = 25
        let chain = try await LocalChain.open(.sqlite(path: directory + "/ledger.sqlite"), spec: spec,
                                              configuration: configuration, logger: quietLogger())
        var random = SystemRandomNumberGenerator()
        while true {
            let ledger = await chain.service.ledger
            let batch = keys.indices.map { sender in
                let recipient = keys[(sender + Int.random(in: 1..<keys.count, using: &random)) % keys.count].account
                return SignedTransaction(chain: spec.id, key: keys[sender], nonce: ledger.nextNonce(of: keys[sender].account),
                                         call: BalancesCall.transfer(to: recipient, amount: Amount(baseUnits: UInt64.random(in: 1...1_000, using: &random))).call)
            }
            let heights = Set(await chain.service.submit(batch: batch).compactMap { try? $0.get().height })
            for height in heights.sorted() {
                // Unbuffered: the crash test reads each line the moment its block is durable.
                FileHandle.standardOutput.write(Data("committed \(height)\n".utf8))
            }
        }
    }
}

extension Optional {
    func asyncFlatMap<Result>(_ transform: (Wrapped) async throws -> Result?) async rethrows -> Result? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
