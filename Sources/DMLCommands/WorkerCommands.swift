import ArgumentParser
import DMLCore
import DMLSandbox
import DMLWorker
import Foundation

/// `dml worker`: be a device for a DML server.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Work as a device: take jobs from a server, run them on local data in the sandbox, get paid.",
        discussion: """
            The data folder keeps the device key (device.key, created on first start) and verified packages. \
            The input never leaves this machine unless --disclose-for-audit is given. Each run happens in a child \
            process with the algorithm's wall-clock bound.
            """)

    @Option(help: "The API server, e.g. http://127.0.0.1:8080.") var server: String
    @Option(help: "The device's folder (key, package cache).") var data: String
    @Option(help: "The device's data file (CSV of numbers, or raw bytes).") var input: String
    @Option(help: "Columns to drop from the right of each CSV row (a label).") var dropColumns: Int = 0
    @Option(help: "Stop after sending this many results.") var maxJobs: Int?
    @Option(help: "Seconds to wait for work per request (0–25).") var wait: Int = 20
    @Flag(help: "Stop when no work comes within one wait.") var stopWhenIdle = false
    @Flag(help: "Send the input with each result, so the server re-runs the real run.") var discloseForAudit = false
    @Flag(help: "Run algorithms in this process (fuel-bounded only) instead of a child process.") var inProcess = false

    func run() async throws {
        guard let url = URL(string: server), url.scheme == "http" || url.scheme == "https" else {
            throw CommandFailure("--server must be an http(s) URL")
        }
        guard (0...25).contains(wait) else { throw CommandFailure("--wait must be 0…25") }
        var configuration = Worker.Configuration(server: url, dataDirectory: URL(fileURLWithPath: data),
                                                 input: URL(fileURLWithPath: input))
        configuration.dropColumns = dropColumns
        configuration.waitSeconds = wait
        configuration.discloseForAudit = discloseForAudit
        let runner: any AlgorithmRunner = inProcess ? InProcessRunner() : ChildProcessSandbox.ofThisExecutable()
        let worker = try Worker(configuration, runner: runner) { job in
            FileHandle.standardOutput.write(Data("leased job \(job)\n".utf8))
        }
        FileHandle.standardOutput.write(Data("device \(worker.client.key.account.address) working for \(server)\n".utf8))
        _ = try await worker.run(maxJobs: maxJobs, stopWhenIdle: stopWhenIdle) { step in
            FileHandle.standardOutput.write(Data("\(step)\n".utf8))
        }
    }
}

/// `dml job report`: a job's report from the server, as HTML, CSV or JSON.
struct JobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "job", abstract: "Jobs on a DML server.", subcommands: [Report.self])

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a job's report (HTML with SVG charts, CSV or JSON).")
        @Option(help: "The API server, e.g. http://127.0.0.1:8080.") var server: String
        @Option(help: "The job id.") var job: UInt64
        @Option(help: "html, csv or json.") var format: String = "html"
        @Option(help: "The file to write (default: standard output).") var out: String?
        @Option(help: "An access token of the requester or a moderator (default: $DML_TOKEN).") var token: String?

        func run() async throws {
            guard let url = URL(string: server) else { throw CommandFailure("--server must be a URL") }
            guard let token = token ?? ProcessInfo.processInfo.environment["DML_TOKEN"] else {
                throw CommandFailure("give --token or set DML_TOKEN (an access token of the job's requester)")
            }
            let bytes = try await ReportDownload.fetch(server: url, job: job, format: format, token: token)
            if let out {
                try bytes.write(to: URL(fileURLWithPath: out), options: .atomic)
                print("wrote \(out) (\(bytes.count) bytes)")
            } else {
                FileHandle.standardOutput.write(bytes)
            }
        }
    }
}

enum ReportDownload {
    static func fetch(server: URL, job: UInt64, format: String, token: String) async throws -> Data {
        let client = DeviceClient(server: server, key: AccountKey())
        client.useToken(token)
        let (status, data) = try await client.exchange("GET", "/v1/jobs/\(job)/report?format=\(format)")
        guard status == 200 else {
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            throw CommandFailure("the server answered \(status): \(json?["message"] as? String ?? String(decoding: data.prefix(200), as: UTF8.self))")
        }
        return data
    }
}
