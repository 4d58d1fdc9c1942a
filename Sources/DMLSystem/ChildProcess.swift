import Foundation

/// A child process awaited without blocking any shared thread: its exit comes from Foundation's
/// own process-manager thread, its output is read by a thread per pipe, and every wait — for the
/// exit, for a line of output — is an event a task awaits. The one way DML starts processes
/// (servers and nodes in tests, trainers in the demo, the sandbox's `dml sandbox-exec`, `gzip`).
public final class ChildProcess: @unchecked Sendable {
    /// Where a stream of the child goes.
    public enum Destination: Sendable {
        /// Kept in memory: `output`, `errorOutput`, `waitForOutput(containing:)`.
        case capture
        /// `/dev/null`.
        case discard
        /// Appended to a file, created if missing.
        case file(URL)
    }

    /// How the child ended.
    public struct Exit: Sendable, Equatable {
        /// The exit status, or the signal's number when `signalled`.
        public let status: Int32
        public let signalled: Bool

        public init(status: Int32, signalled: Bool) {
            self.status = status
            self.signalled = signalled
        }

        public var succeeded: Bool { !signalled && status == 0 }
    }

    public struct StartFailure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    private let process = Process()
    private let events = ProcessEvents()
    public let processIdentifier: Int32

    /// Starts `executable` with `arguments`.
    /// - Parameters:
    ///   - environment: the child's whole environment; `nil` passes this process's own.
    ///   - input: written to the child's standard input, which is then closed; `nil` gives it `/dev/null`.
    ///   - errors: standard error's destination; `nil` sends it where standard output goes.
    public init(executable: String, arguments: [String], environment: [String: String]? = nil,
                currentDirectory: String? = nil, input: Data? = nil,
                output: Destination = .capture, errors: Destination? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let stdin = input.map { _ in Pipe() }
        process.standardInput = stdin ?? FileHandle.nullDevice
        let (outputReader, outputFile) = try ChildProcess.attach(output, to: process, error: false)
        var errorReader: FileHandle?, errorFile: FileHandle?
        if let errors {
            (errorReader, errorFile) = try ChildProcess.attach(errors, to: process, error: true)
        } else {
            process.standardError = process.standardOutput
        }
        // The child has its own copies of log files once started; this process keeps none open.
        defer { for file in [outputFile, errorFile].compactMap({ $0 }) { try? file.close() } }
        let events = self.events
        events.expectStreams((outputReader == nil ? 0 : 1) + (errorReader == nil ? 0 : 1))
        process.terminationHandler = { finished in
            events.exited(Exit(status: finished.terminationStatus, signalled: finished.terminationReason == .uncaughtSignal))
        }
        do { try process.run() } catch { throw StartFailure("cannot start \(executable): \(error)") }
        processIdentifier = process.processIdentifier
        if let outputReader { ChildProcess.drain(outputReader, into: events, isError: false) }
        if let errorReader { ChildProcess.drain(errorReader, into: events, isError: true) }
        if let stdin, let input {
            // A dedicated thread: the pipe may be full until the child reads.
            let writer = stdin.fileHandleForWriting
            let thread = Thread {
                try? writer.write(contentsOf: input)
                try? writer.close()
            }
            thread.name = "dml.child.stdin"
            thread.start()
        }
    }

    /// Runs to completion and returns the exit with everything the child wrote.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           currentDirectory: String? = nil, input: Data? = nil) async throws -> (exit: Exit, output: String, error: String) {
        let child = try ChildProcess(executable: executable, arguments: arguments, environment: environment,
                                     currentDirectory: currentDirectory, input: input, output: .capture, errors: .capture)
        let exit = await child.exit()
        let finished = await child.events.waitUncancellable { $0.openStreams == 0 }
        return (exit, String(decoding: finished.output, as: UTF8.self), String(decoding: finished.error, as: UTF8.self))
    }

    /// Everything the child wrote to its captured standard output, once it has ended and closed it.
    public func finalOutput() async -> Data {
        await events.waitUncancellable { $0.exit != nil && $0.openStreams == 0 }.output
    }

    /// What the child wrote to standard output (and standard error, when merged) so far.
    public var output: String { String(decoding: events.snapshot().output, as: UTF8.self) }
    public var outputBytes: Data { events.snapshot().output }
    public var errorOutput: String { String(decoding: events.snapshot().error, as: UTF8.self) }
    public var isRunning: Bool { events.snapshot().exit == nil }

    /// Waits for the child to end. Cancelled, it ends the child at once (SIGTERM, then SIGKILL:
    /// a cancelled task has no grace to give) and still returns the real exit.
    public func exit() async -> Exit {
        await events.wait { $0.exit != nil }
        if let exit = events.snapshot().exit { return exit }
        return await stop()
    }

    /// The exit status (the signal's number when killed by one).
    public func exitStatus() async -> Int32 { await exit().status }

    /// The exit, or `nil` if the child is still running after `limit` (it is left running).
    public func exit(within limit: Duration) async -> Exit? {
        await withTaskGroup(of: Exit?.self) { group in
            group.addTask { [events] in await events.wait { $0.exit != nil }; return events.snapshot().exit }
            group.addTask { try? await Task.sleep(for: limit); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Waits until the captured output contains `text` (true), or the child has ended and
    /// closed its output without writing it (false), or `limit` passes (false).
    public func waitForOutput(containing text: String, within limit: Duration = .seconds(600)) async -> Bool {
        let needle = Data(text.utf8)
        return await waitForOutput(within: limit) { $0.range(of: needle) != nil }
    }

    /// Waits until `isComplete` holds for the captured output (true), or the child has ended and
    /// closed its output first (false), or `limit` passes (false).
    public func waitForOutput(within limit: Duration = .seconds(600), until isComplete: @escaping @Sendable (Data) -> Bool) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { [events] in
                await events.wait { isComplete($0.output) || ($0.exit != nil && $0.openStreams == 0) }
                return isComplete(events.snapshot().output)
            }
            group.addTask { try? await Task.sleep(for: limit); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// SIGTERM.
    public func terminate() { if isRunning { Foundation.kill(processIdentifier, SIGTERM) } }

    /// SIGKILL, as a crash would.
    public func kill() { if isRunning { Foundation.kill(processIdentifier, SIGKILL) } }

    /// SIGTERM, then the exit; SIGKILL if the child is still running after `grace`.
    ///
    /// The grace matters: a process that serves with swift-service-lifecycle sets SIGTERM to
    /// "ignore" (its signal source needs that), and a child inherits ignored signals through
    /// `exec`. So a plain program started by a server (or a test process that ran one) never
    /// sees the SIGTERM; `dml` children install their own handler and stop gracefully.
    @discardableResult
    public func stop(grace: Duration = .seconds(20)) async -> Exit {
        terminate()
        if let exit = await exit(within: grace) { return exit }
        return await killAndWait()
    }

    /// SIGKILL, then the exit.
    @discardableResult
    public func killAndWait() async -> Exit {
        kill()
        return await events.waitUncancellable { $0.exit != nil }.exit!
    }

    /// Sets the stream's destination; returns the pipe to read (`.capture`) or the file this
    /// process opened for the child (`.file`), to close once the child has started.
    private static func attach(_ destination: Destination, to process: Process, error: Bool) throws -> (reader: FileHandle?, file: FileHandle?) {
        let handle: Any
        var reader: FileHandle?, opened: FileHandle?
        switch destination {
        case .capture:
            let pipe = Pipe()
            handle = pipe
            reader = pipe.fileHandleForReading
        case .discard:
            handle = FileHandle.nullDevice
        case .file(let url):
            if !FileManager.default.fileExists(atPath: url.path) {
                guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                    throw StartFailure("cannot create \(url.path)")
                }
            }
            let file = try FileHandle(forWritingTo: url)
            try file.seekToEnd()
            handle = file
            opened = file
        }
        if error { process.standardError = handle } else { process.standardOutput = handle }
        return (reader, opened)
    }

    /// Reads a pipe to its end on a thread of its own.
    private static func drain(_ reader: FileHandle, into events: ProcessEvents, isError: Bool) {
        let descriptor = reader.fileDescriptor
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    events.append(Data(buffer[0..<count]), isError: isError)
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            try? reader.close()
            events.streamClosed()
        }
        thread.name = "dml.child.output"
        thread.start()
    }
}

/// A child's state (exit, output, open streams) and the tasks waiting for a change of it.
final class ProcessEvents: @unchecked Sendable {
    struct Snapshot: Sendable {
        var exit: ChildProcess.Exit?
        var output = Data()
        var error = Data()
        var openStreams = 0
    }

    private struct Waiter {
        let isDone: @Sendable (Snapshot) -> Bool
        let continuation: CheckedContinuation<Void, Never>
    }

    private let lock = NSLock()
    private var state = Snapshot()
    private var waiters: [UInt64: Waiter] = [:]
    private var nextWaiter: UInt64 = 0

    func snapshot() -> Snapshot { lock.withLock { state } }

    func expectStreams(_ count: Int) { change { $0.openStreams = count } }
    func exited(_ exit: ChildProcess.Exit) { change { $0.exit = exit } }
    func streamClosed() { change { $0.openStreams -= 1 } }
    func append(_ data: Data, isError: Bool) {
        change { if isError { $0.error.append(data) } else { $0.output.append(data) } }
    }

    /// Waits until `isDone` holds, or the waiting task is cancelled.
    func wait(until isDone: @escaping @Sendable (Snapshot) -> Bool) async {
        let id = lock.withLock { () -> UInt64 in nextWaiter += 1; return nextWaiter }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready: Bool = lock.withLock {
                    // A cancellation that came first has found no waiter to resume: check here.
                    if isDone(state) || Task.isCancelled { return true }
                    waiters[id] = Waiter(isDone: isDone, continuation: continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            lock.withLock { waiters.removeValue(forKey: id) }?.continuation.resume()
        }
    }

    /// Waits until `isDone` holds, whether or not the task is cancelled; returns that state.
    func waitUncancellable(until isDone: @escaping @Sendable (Snapshot) -> Bool) async -> Snapshot {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready: Bool = lock.withLock {
                if isDone(state) { return true }
                nextWaiter += 1
                waiters[nextWaiter] = Waiter(isDone: isDone, continuation: continuation)
                return false
            }
            if ready { continuation.resume() }
        }
        return snapshot()
    }

    private func change(_ update: (inout Snapshot) -> Void) {
        let resumed: [CheckedContinuation<Void, Never>] = lock.withLock {
            update(&state)
            let ready = waiters.filter { $0.value.isDone(state) }
            for key in ready.keys { waiters.removeValue(forKey: key) }
            return ready.values.map(\.continuation)
        }
        for continuation in resumed { continuation.resume() }
    }
}
