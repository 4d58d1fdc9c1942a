import DMLCore
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

    /// Runs `package` on `input`; blocks the calling thread until the child answers or is killed.
    public func run(_ package: AlgorithmPackage, input: [UInt8]) -> RunResult {
        let inputDigest = Hash256.of(input)
        func failed(_ outcome: RunOutcome) -> RunResult {
            RunResult(outcome: outcome, output: [], fuelUsed: 0, logs: [], inputDigest: inputDigest)
        }
        let wallClock = package.manifest.limits.wallClockMilliseconds ?? defaultWallClockMilliseconds
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do { try process.run() } catch { return failed(.crashed(reason: "cannot start \(executable.path): \(error)")) }

        var header = ByteWriter(capacity: 8)
        header.write(UInt64(package.bytes.count))
        let request = Data(header.bytes + package.bytes + input)
        let writer = stdin.fileHandleForWriting
        DispatchQueue.global().async {
            try? writer.write(contentsOf: request)
            try? writer.close()
        }
        let answer = Collected()
        let reader = stdout.fileHandleForReading
        let readDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            answer.set((try? reader.readToEnd()) ?? Data())
            readDone.signal()
        }
        if exited.wait(timeout: .now() + .milliseconds(wallClock)) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
            readDone.wait()
            return failed(.wallClockExceeded(milliseconds: wallClock))
        }
        readDone.wait()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            return failed(.crashed(reason: process.terminationReason == .exit
                ? "exit status \(process.terminationStatus)" : "killed by signal \(process.terminationStatus)"))
        }
        guard let document = try? JSONDecoder().decode(RunResultDocument.self, from: answer.get()),
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

/// Bytes handed from the reading thread to the waiting one.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data { lock.withLock { data } }
}
