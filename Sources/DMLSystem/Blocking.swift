import Foundation

/// Work that blocks a thread — a synchronous system call, a wait for a child process, a long
/// CPU-bound run — done on a thread of its own.
///
/// Why not the cooperative pool or `DispatchQueue.global()`: on Linux the cooperative pool has as
/// many threads as cores (two here) and Dispatch's global queues grow only to a small multiple of
/// that. Work that blocks one of those threads while waiting for something that needs another
/// (a child process answering an in-process server; a pipe reader queued behind the waiter; a
/// timer behind `Task.sleep`) stalls the whole process once the few threads are all waiting. A
/// thread per blocking job cannot starve anything: it costs a thread's start (tens of µs), which
/// is small beside what is worth moving off the pool.
///
/// `scripts/test` holds this with `BlockingCallRulesTests`: outside this target, a blocking call
/// in `Sources/` needs a `// blocking:` note saying why it is safe where it is.
public enum Blocking {
    /// Runs `work` on a new thread and resumes the caller with its result.
    public static func run<T: Sendable>(_ name: String = "dml.blocking",
                                        _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.name = name
            // Enough for the sandbox's interpreter and deep JSON; Foundation's default is 512 KiB.
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// `run` for work that cannot throw.
    public static func run<T: Sendable>(_ name: String = "dml.blocking", _ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: work()) }
            thread.name = name
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
