import Foundation

/// Notices when a process stops running asynchronous work: every second, from a thread of its
/// own, it sends a trivial probe to the cooperative pool (a task) and to Dispatch's global queue;
/// a probe that has not run after `limit` means every thread of that pool is blocked — the stall
/// `Blocking` exists to prevent. It then reports the stacks of every thread (read with `gdb`
/// when the machine has it), which name the blocking call.
///
/// The test suites start one (`Fixtures.watchdog`) that ends the test process with the stacks
/// instead of letting it hang until CI's time runs out; `dml serve` logs them.
public final class StallWatchdog: @unchecked Sendable {
    /// A pool that did not run a probe in time.
    public struct Stall: Sendable, CustomStringConvertible {
        /// `cooperative pool` or `Dispatch global queue`.
        public let pool: String
        public let waitedSeconds: Int
        /// Every thread's stack, or why they could not be read.
        public let threads: String

        public var description: String {
            "STALL: the \(pool) ran no work for \(waitedSeconds) s: every thread of it is blocked.\n" +
                "Threads of this process:\n\(threads)"
        }
    }

    private let lock = NSLock()
    private let limitSeconds: Double
    private var cooperativeSent: Double?
    private var globalSent: Double?
    private var reported = false

    private init(limitSeconds: Double) { self.limitSeconds = limitSeconds }

    /// Starts watching; `onStall` is called once, on the watchdog's thread.
    @discardableResult
    public static func start(limitSeconds: Double = 120, onStall: @escaping @Sendable (Stall) -> Void) -> StallWatchdog {
        let watchdog = StallWatchdog(limitSeconds: limitSeconds)
        let thread = Thread { watchdog.watch(onStall) }
        thread.name = "dml.watchdog"
        thread.start()
        return watchdog
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    private func watch(_ onStall: @Sendable (Stall) -> Void) {
        while true {
            Thread.sleep(forTimeInterval: 1)
            let now = Self.now()
            let (sendCooperative, sendGlobal, stuck): (Bool, Bool, String?) = lock.withLock {
                var stuck: String?
                if let sent = cooperativeSent, now - sent > limitSeconds { stuck = "cooperative pool" }
                if let sent = globalSent, now - sent > limitSeconds { stuck = "Dispatch global queue" }
                let sendCooperative = cooperativeSent == nil, sendGlobal = globalSent == nil
                if sendCooperative { cooperativeSent = now }
                if sendGlobal { globalSent = now }
                return (sendCooperative, sendGlobal, reported ? nil : stuck)
            }
            if sendCooperative { Task.detached { [self] in lock.withLock { cooperativeSent = nil } } }
            if sendGlobal { DispatchQueue.global().async { [self] in lock.withLock { globalSent = nil } } }
            if let stuck {
                lock.withLock { reported = true }
                onStall(Stall(pool: stuck, waitedSeconds: Int(limitSeconds), threads: Self.threadStacks()))
            }
        }
    }

    /// Every thread's backtrace, from `gdb` attached to this process.
    public static func threadStacks() -> String {
        guard let gdb = ["/usr/bin/gdb", "/usr/local/bin/gdb"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return "(gdb is not installed: no stacks)"
        }
        // gdb stops every thread of this process while it reads them, this one included: its
        // output goes to a file (a pipe would fill while nobody reads it, and gdb would wait for
        // ever); `--readnever` skips the debug information, which takes minutes to load in a
        // debug build (the symbol names are enough to see where threads wait).
        let file = NSTemporaryDirectory() + "dml-stall-\(getpid())-\(UUID().uuidString).txt"
        guard FileManager.default.createFile(atPath: file, contents: nil), let output = FileHandle(forWritingAtPath: file) else {
            return "(cannot create \(file) for gdb's output)"
        }
        defer { try? FileManager.default.removeItem(atPath: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: gdb)
        process.arguments = ["-p", String(getpid()), "-batch", "-nx", "--readnever", "-ex", "thread apply all bt 40"]
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return "(gdb did not start: \(error))" }
        // This thread is the watchdog's own; blocking it is what it is for.
        process.waitUntilExit()
        try? output.close()
        return (try? String(contentsOfFile: file, encoding: .utf8)) ?? "(gdb wrote nothing)"
    }
}
