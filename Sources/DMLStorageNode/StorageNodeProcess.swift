import DMLCore
import Foundation

/// A `dml storage-node` child process and the URL it listens on — how tests and the storage
/// benchmark run real nodes on loopback.
public final class StorageNodeProcess: @unchecked Sendable {
    public let process = Process()
    public let url: String
    public let account: AccountID
    public let data: String

    public struct StartFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `executable storage-node --data data --chain chain --port port` and waits for its
    /// "listening" line. `environment` replaces this process's own (e.g. to set or remove
    /// `DATABASE_URL`).
    public init(executable: String, data: String, chain: String, port: Int = 0, environment: [String: String]) throws {
        self.data = data
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["storage-node", "--data", data, "--chain", chain, "--port", String(port)]
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
        // "storage node <address> listening on http://127.0.0.1:<port>"
        let words = line.split(separator: " ")
        guard words.count >= 6, let account = try? AccountID(address: String(words[2])) else {
            if process.isRunning { process.terminate() }
            throw StartFailure(description: "the storage node did not start: \(line)")
        }
        self.account = account
        url = String(words[5]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public var port: Int { Int(url.split(separator: ":").last ?? "") ?? 0 }

    /// Kills the node at once (SIGKILL), as a crash would.
    public func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Stops the node gracefully (SIGTERM) and waits for it.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
