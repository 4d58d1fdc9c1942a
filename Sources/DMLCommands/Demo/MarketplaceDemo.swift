import DMLCore
import DMLLedger
import DMLSandbox
import DMLWorker
import Foundation

/// The whole marketplace, played on this machine through the public API: the people, algorithms
/// and their review, a bounty, tasks under each validation strategy, a device job with its
/// report, federated training with secure aggregation and differential privacy, a storage
/// cluster holding the artifacts and paid rent, and the chain verified from genesis.
///
/// Each act is in its own file (`MarketplaceDemo+….swift`); this one holds the cast.
final class MarketplaceDemo: @unchecked Sendable {
    struct Options {
        var folder: String
        var port = 0
        var federatedRounds = 8
        var devices = 10
    }

    let options: Options
    let narrator = DemoNarrator()
    let files: DemoFiles
    var stage: DemoStage!
    var cast: Cast!
    /// What the story produced, for the closing summary.
    var reports: [String] = []

    struct Cast {
        let requester, ada, grace, moderator, clinic, validator: DemoActor
        let taskWorkers: [DemoActor]
        /// Self-custody devices: their folders hold their keys (as `dml worker` keeps them).
        let deviceFolders: [URL]
        let devices: [DemoActor]
    }

    init(options: Options) throws {
        self.options = options
        files = try DemoFiles.locate()
    }

    func play() async throws {
        try Self.clearFolder(options.folder)
        try FileManager.default.createDirectory(atPath: options.folder + "/reports", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: options.folder + "/" + Self.marker, contents: Data("made by dml demo\n".utf8))
        narrator.act("The stage: a fresh development chain and the API server, in \(options.folder)")
        stage = try await DemoStage.open(folder: options.folder, port: options.port)
        narrator.done("serving chain \(stage.chainID.short)… on \(stage.base.absoluteString) — the console is at \(stage.base.absoluteString)/console/")
        do {
            try await meetTheCast()
            let algorithms = try await publishAndReviewAlgorithms()
            try await runBounty(submissions: algorithms)
            try await runTasks(algorithms: algorithms)
            let jobReport = try await runDeviceJob(algorithm: algorithms.digits)
            let federated = try await runFederatedTraining()
            try await runStorage(artifacts: [jobReport] + federated)
            try await verifyChain()
        } catch {
            narrator.refused("the demo stopped: \(error)")
            await stage.close()
            throw error
        }
    }

    /// Prints where everything is; keeps serving when asked.
    func finish(serve: Bool) async throws {
        narrator.act("Done in \(narrator.elapsed)")
        for report in reports { narrator.say(report) }
        narrator.say("the chain and everything the API keeps: \(options.folder) (serve it again: dml serve --data \(options.folder))")
        if serve {
            narrator.say("the console: \(stage.base.absoluteString)/console/ — sign in as requester@demo.dml, password \"demo password for requester\"")
            narrator.say("serving until Ctrl-C")
            try await stage.serveUntilSignalled()
        } else {
            narrator.say("to look around in the web console: dml demo --serve (then open http://127.0.0.1:8080/console/)")
            await stage.close()
        }
    }

    /// Marks a folder as the demo's, so that a run wipes only what a run made.
    static let marker = "DML-DEMO"

    /// Empties `folder` for a new run — only if it is missing, empty or the demo's own.
    static func clearFolder(_ folder: String) throws {
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        guard contents.isEmpty || contents.contains(marker) else {
            throw CommandFailure("\(folder) holds something the demo did not make; pass another --data (the demo wipes its folder)")
        }
        if !contents.isEmpty { try FileManager.default.removeItem(atPath: folder) }
    }

    // MARK: Act: the people

    func meetTheCast() async throws {
        narrator.act("The people: a requester, two algorithm developers, a moderator, a clinic that owns data, task workers, a validator, \(options.devices) devices")
        let requester = try await stage.person("requester"), ada = try await stage.person("ada"), grace = try await stage.person("grace")
        let moderator = try await stage.person("moderator"), clinic = try await stage.person("clinic")
        let validator = try await stage.person("validator")
        let taskWorkers = [try await stage.person("wes"), try await stage.person("wu")]
        narrator.done("eight people signed up with email and password, confirmed and signed in; the server keeps their keys")
        try await stage.submitSigned(RolesCall.grant(.moderator, to: moderator.account).call, by: stage.admin)
        narrator.done("the chain's admin made \(moderator.name) a moderator (a signed Roles.grant)")
        try await stage.fund([requester.account], tokens: 1_000)
        try await stage.fund([ada.account, grace.account, clinic.account, validator.account] + taskWorkers.map(\.account), tokens: 20)
        narrator.done("the admin sent 1000 DML to the requester and 20 DML to each of the others, in signed transfers")

        var folders: [URL] = [], devices: [DemoActor] = []
        let bar = narrator.progress("devices sign in with their own keys", total: options.devices)
        for index in 0..<options.devices {
            let folder = URL(fileURLWithPath: options.folder).appendingPathComponent("devices/device-\(index + 1)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let key = try Worker.deviceKey(in: folder)
            folders.append(folder)
            devices.append(try await stage.keyHolder("device-\(index + 1)", key: key))
            bar.update(index + 1)
        }
        narrator.done("each device made an Ed25519 key in its own folder and signed a login challenge with it (no password, no email)")
        cast = Cast(requester: requester, ada: ada, grace: grace, moderator: moderator, clinic: clinic, validator: validator,
                    taskWorkers: taskWorkers, deviceFolders: folders, devices: devices)
    }

    // MARK: Helpers shared by the acts

    func json(_ actor: DemoActor, _ method: String, _ path: String, _ body: Any? = nil) async throws -> [String: Any] {
        try await stage.json(actor.client, method, path, body)
    }

    /// Base units as the API writes them ("1500000000") → "1.5 DML".
    func dml(_ baseUnits: String) -> String {
        guard let value = UInt64(baseUnits) else { return baseUnits }
        return "\(Amount(baseUnits: value))"
    }

    /// Writes `data` into the demo's reports folder and remembers it for the summary.
    func keep(_ data: Data, as name: String, what: String) throws -> String {
        let path = options.folder + "/reports/" + name
        try data.write(to: URL(fileURLWithPath: path))
        reports.append("\(what): \(path)")
        return path
    }
}

/// The example algorithms and the digits data the demo uses, from this repository.
struct DemoFiles: Sendable {
    let root: URL

    var algorithmsScript: URL { root.appendingPathComponent("examples/algorithms/build.sh") }
    var digitsCSV: URL { root.appendingPathComponent("examples/algorithms/digits/data/digits.csv.gz") }
    func package(_ name: String) -> URL { root.appendingPathComponent("examples/algorithms/build/packages/\(name)") }

    /// The repository: the working folder when it is one, else the one this binary was built from.
    static func locate() throws -> DemoFiles {
        let candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                          URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                              .deletingLastPathComponent().deletingLastPathComponent()]
        for root in candidates where FileManager.default.fileExists(atPath: root.appendingPathComponent("examples/algorithms/build.sh").path) {
            return DemoFiles(root: root)
        }
        throw CommandFailure("the demo needs the repository's examples/ folder: run it from the repository's root")
    }

    /// The example packages, built from C with clang when they are missing.
    func buildAlgorithmsIfNeeded() async throws -> Bool {
        let missing = ["digits", "column-stats"].contains {
            !FileManager.default.fileExists(atPath: package($0).appendingPathComponent("manifest.json").path)
        }
        guard missing else { return false }
        let script = algorithmsScript.path
        let result = try await runCommand("/bin/bash", [script])
        guard result.status == 0 else {
            throw CommandFailure("examples/algorithms/build.sh failed (it needs clang with the wasm32 target): " + String(result.error.suffix(600)))
        }
        return true
    }

    /// The digits dataset's rows (64 pixels then the label), decompressed with gzip.
    func digitsRows() async throws -> [String] {
        let path = digitsCSV.path
        let result = try await runCommand("/bin/sh", ["-c", "gzip -dc \"$0\"", path])
        guard result.status == 0 else { throw CommandFailure("could not read \(path)") }
        return result.output.split(separator: "\n").map(String.init)
    }
}
