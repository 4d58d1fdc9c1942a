import DMLSystem
import Foundation

/// A `dml serve` child process on a free loopback port: started, its "serving … on http://…"
/// line read for the port and its role, stopped with SIGTERM or killed. Used by `dml api-bench`
/// and by the tests that run several servers.
public final class ServeProcess: Sendable {
    public let child: ChildProcess
    public let port: Int
    /// `sequencer` or `follower`, as the server announced itself.
    public let role: String

    public struct StartFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `executable serve --data data --port 0 arguments…` with `environment` (which replaces
    /// this process's own) and waits for its first line.
    public init(executable: String, data: String, arguments: [String] = [], environment: [String: String]) async throws {
        child = try ChildProcess(executable: executable, arguments: ["serve", "--data", data, "--port", "0"] + arguments,
                                 environment: environment, output: .capture, errors: .discard)
        _ = await child.waitForOutput(containing: "\n")
        let line = child.output.split(separator: "\n").first.map(String.init) ?? ""
        // "dml serving chain <name> on http://127.0.0.1:<port> (<role>)"
        guard let address = line.split(separator: " ").first(where: { $0.hasPrefix("http://") }),
              let port = address.split(separator: ":").last.flatMap({ Int($0) }) else {
            await child.killAndWait()
            throw StartFailure(description: "dml serve did not start: \(line)")
        }
        self.port = port
        role = line.contains("(sequencer)") ? "sequencer" : "follower"
    }

    public var processIdentifier: Int32 { child.processIdentifier }

    /// SIGKILL, as a crash would; returns once the process is gone.
    public func kill() async { await child.killAndWait() }

    /// SIGTERM, then the exit status.
    @discardableResult
    public func stop() async -> Int32 { await child.stop().status }
}

/// Runs a program to completion; its status, standard output and standard error.
func runCommand(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String, error: String) {
    let result = try await ChildProcess.run(executable, arguments)
    return (result.exit.status, result.output, result.error)
}

extension ChildProcess {
    /// A `dml` child process of this same executable, its output in `log` (or discarded).
    static func dml(_ arguments: [String], log: URL?) throws -> ChildProcess {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        return try ChildProcess(executable: executable, arguments: arguments, output: log.map { .file($0) } ?? .discard)
    }
}
