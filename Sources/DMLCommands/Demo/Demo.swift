import ArgumentParser
import DMLStore
import Foundation

/// `dml demo`: DML's main job on this machine — the whole marketplace played through the API
/// on a fresh local chain (SQLite and a folder, no setup), told as it goes.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play the whole marketplace on a fresh local chain and tell the story.",
        discussion: """
            Starts the API server on loopback, signs people and devices up, publishes and reviews \
            algorithms, runs a bounty, a task per validation strategy, a device job and federated \
            training (secure aggregation and differential privacy), stores the artifacts on three \
            storage nodes with rent paid, and verifies the chain from genesis. Reports land in \
            DIR/reports. Run it from the repository's root (it uses examples/).
            """)

    @Option(help: "Folder for the demo (emptied at start if the demo made it; serve it again later with `dml serve --data DIR`).")
    var data: String = ".dml/demo"
    @Flag(help: "Keep the server (and its web console) running afterwards, until Ctrl-C.") var serve = false
    @Option(help: "Port for the server (default: 8080 with --serve, else any free port).") var port: Int?
    @Option(help: "Rounds of federated training (2–30).") var rounds: Int = 8
    @Flag(help: "Play the older, ledger-only story instead (transfers, refusals, an upgrade, a restart).")
    var ledgerStory = false

    func run() async throws {
        if ledgerStory {
            try MarketplaceDemo.clearFolder(data)
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: data + "/" + MarketplaceDemo.marker, contents: Data("made by dml demo\n".utf8))
            try await LedgerDemoStory(location: .sqlite(path: data + "/ledger.sqlite")).play()
            print("\nThe chain is in \(data)/ledger.sqlite — try: dml ledger verify --data \(data)")
            return
        }
        guard (2...30).contains(rounds) else { throw CommandFailure("--rounds must be 2…30") }
        var options = MarketplaceDemo.Options(folder: data)
        options.port = port ?? (serve ? 8080 : 0)
        options.federatedRounds = rounds
        let demo = try MarketplaceDemo(options: options)
        try await demo.play()
        try await demo.finish(serve: serve)
    }
}
