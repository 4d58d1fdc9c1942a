import Foundation

/// A `dml serve` child process on a free loopback port: started, its "serving … on http://…"
/// line read for the port and its role, stopped with SIGTERM or killed. Used by `dml api-bench`
/// and by the tests that run several servers.
public final class ServeProcess: @unchecked Sendable {
    public let process = Process()
    public let port: Int
    /// `sequencer` or `follower`, as the server announced itself.
    public let role: String

    public struct StartFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `executable serve --data data --port 0 arguments…` with `environment` (which replaces
    /// this process's own) and waits for its first line.
    public init(executable: String, data: String, arguments: [String] = [], environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--data", data, "--port", "0"] + arguments
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = ""
        while !line.contains("\n") {
            let data = output.fileHandleForReading.availableData
            guard !data.isEmpty else { break }
            line += String(decoding: data, as: UTF8.self)
        }
        // "dml serving chain <name> on http://127.0.0.1:<port> (<role>)"
        guard let address = line.split(separator: " ").first(where: { $0.hasPrefix("http://") }),
              let port = address.split(separator: ":").last.flatMap({ Int($0) }) else {
            process.terminate()
            throw StartFailure(description: "dml serve did not start: \(line)")
        }
        self.port = port
        role = line.contains("(sequencer)") ? "sequencer" : "follower"
    }

    public func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then the exit status.
    @discardableResult
    public func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
