import Foundation

/// A `dml` child process of this same executable, its output in a log file (or discarded),
/// awaited without blocking a thread of the cooperative pool.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let log: URL?
    private let exited: AsyncStream<Int32>

    init(arguments: [String], log: URL?) throws {
        self.log = log
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments
        if let log {
            guard FileManager.default.createFile(atPath: log.path, contents: nil) else { throw CommandFailure("cannot create \(log.path)") }
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        exited = stream
        process.terminationHandler = { process in
            continuation.yield(process.terminationStatus)
            continuation.finish()
        }
        try process.run()
    }

    /// The exit status; cancelled, it stops the child and answers -1 (never reading the status
    /// of a child still running, which Foundation traps on).
    func exitStatus() async -> Int32 {
        await withTaskCancellationHandler {
            for await status in exited { return status }
            return -1
        } onCancel: { [process] in
            if process.isRunning { process.terminate() }
        }
    }

    func stop() {
        if process.isRunning { process.terminate() }
    }
}
