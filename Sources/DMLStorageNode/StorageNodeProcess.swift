import DMLCore
import DMLSystem
import Foundation

/// A `dml storage-node` child process and the URL it listens on — how tests and the storage
/// benchmark run real nodes on loopback.
public final class StorageNodeProcess: Sendable {
    public let child: ChildProcess
    public let url: String
    public let account: AccountID
    public let data: String

    public struct StartFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `executable storage-node --data data --chain chain --port port` and waits for its
    /// "listening" line. `environment` replaces this process's own (e.g. to set or remove
    /// `DATABASE_URL`).
    public init(executable: String, data: String, chain: String, port: Int = 0, environment: [String: String]) async throws {
        self.data = data
        child = try ChildProcess(executable: executable,
                                 arguments: ["storage-node", "--data", data, "--chain", chain, "--port", String(port)],
                                 environment: environment, output: .capture, errors: .discard)
        _ = await child.waitForOutput(containing: "\n")
        let line = child.output.split(separator: "\n").first.map(String.init) ?? ""
        // "storage node <address> listening on http://127.0.0.1:<port>"
        let words = line.split(separator: " ")
        guard words.count >= 6, let account = try? AccountID(address: String(words[2])) else {
            await child.killAndWait()
            throw StartFailure(description: "the storage node did not start: \(line)")
        }
        self.account = account
        url = String(words[5]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public var port: Int { Int(url.split(separator: ":").last ?? "") ?? 0 }

    /// Kills the node at once (SIGKILL), as a crash would, and waits until it is gone.
    public func kill() async { await child.killAndWait() }

    /// Stops the node gracefully (SIGTERM) and waits for it.
    public func stop() async { await child.stop() }
}
