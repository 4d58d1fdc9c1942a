import DMLCore
import DMLSystem
import Foundation

/// Runs a package in a child process (`dml sandbox-exec`) and kills it at its wall-clock bound:
/// the hard time limit that an in-process interpreter cannot give, and a wall between a hostile
/// module and the caller's process.
///
/// The child reads from stdin the package length (u64 LE), the package, then the input to the
/// end; it answers on stdout with one `RunResultDocument`.
public struct ChildProcessSandbox: Sendable {
    public let executable: URL
    public let arguments: [String]
    /// The bound when the manifest gives none.
    public let defaultWallClockMilliseconds: Int

    public init(executable: URL, arguments: [String] = ["sandbox-exec"], defaultWallClockMilliseconds: Int = 60_000) {
        self.executable = executable
        self.arguments = arguments
        self.defaultWallClockMilliseconds = defaultWallClockMilliseconds
        // A child that dies before reading its input must not kill the parent with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
    }

    /// The running `dml` itself.
    public static func ofThisExecutable() -> ChildProcessSandbox {
        ChildProcessSandbox(executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath())
    }

    /// Runs `package` on `input` in a child process, killed at the wall-clock bound.
    public func run(_ package: AlgorithmPackage, input: [UInt8]) async -> RunResult {
        let inputDigest = Hash256.of(input)
        func failed(_ outcome: RunOutcome) -> RunResult {
            RunResult(outcome: outcome, output: [], fuelUsed: 0, logs: [], inputDigest: inputDigest)
        }
        let wallClock = package.manifest.limits.wallClockMilliseconds ?? defaultWallClockMilliseconds
        var header = ByteWriter(capacity: 8)
        header.write(UInt64(package.bytes.count))
        let child: ChildProcess
        do {
            child = try ChildProcess(executable: executable.path, arguments: arguments, input: Data(header.bytes + package.bytes + input),
                                     output: .capture, errors: .discard)
        } catch {
            return failed(.crashed(reason: "cannot start \(executable.path): \(error)"))
        }
        guard let exit = await child.exit(within: .milliseconds(wallClock)) else {
            await child.killAndWait()
            return failed(.wallClockExceeded(milliseconds: wallClock))
        }
        guard exit.succeeded else {
            return failed(.crashed(reason: exit.signalled ? "killed by signal \(exit.status)" : "exit status \(exit.status)"))
        }
        // The output pipe closes with the child; read what it wrote.
        guard let document = try? JSONDecoder().decode(RunResultDocument.self, from: await child.finalOutput()),
              let result = document.result, result.inputDigest == inputDigest else {
            return failed(.crashed(reason: "the sandbox process answered something that is not a run result"))
        }
        return result
    }

    /// The child's side: reads a request from `stdin`, runs it in-process, returns the answer.
    public static func serve(request: Data, sandbox: Sandbox = Sandbox()) -> RunResultDocument {
        let bytes = [UInt8](request)
        var reader = ByteReader(bytes)
        guard let length = try? reader.readUInt64("package length"), length <= UInt64(bytes.count - 8) else {
            return RunResultDocument(RunResult(outcome: .crashed(reason: "bad request header"), output: [], fuelUsed: 0, logs: [],
                                               inputDigest: .zero))
        }
        let packageBytes = Array(bytes[8..<(8 + Int(length))])
        let input = Array(bytes[(8 + Int(length))...])
        do {
            let package = try AlgorithmPackage(bytes: packageBytes)
            return RunResultDocument(sandbox.run(package, input: input))
        } catch {
            return RunResultDocument(RunResult(outcome: .invalidModule(stage: "package", reason: error.description), output: [],
                                               fuelUsed: 0, logs: [], inputDigest: Hash256.of(input)))
        }
    }
}
