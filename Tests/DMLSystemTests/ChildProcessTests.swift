import DMLSystem
import Foundation
import Testing

@Suite("Child processes awaited as events")
struct ChildProcessTests {
    @Test("a run returns the exit status and both streams, whole")
    func runCollectsEverything() async throws {
        let result = try await ChildProcess.run("/bin/sh", ["-c", "head -c 300000 /dev/zero | tr '\\0' a; echo oops >&2; exit 3"])
        #expect(result.exit == ChildProcess.Exit(status: 3, signalled: false))
        #expect(result.output.count == 300_000 && result.output.allSatisfy { $0 == "a" })
        #expect(result.error == "oops\n")
    }

    @Test("standard input is written whole while the output is read, even beyond a pipe's buffer")
    func inputAndOutputFlowTogether() async throws {
        let input = Data((0..<1_000_000).map { UInt8(truncatingIfNeeded: $0) })
        let child = try ChildProcess(executable: "/bin/cat", arguments: [], input: input, output: .capture, errors: .discard)
        #expect(await child.finalOutput() == input)
    }

    @Test("waiting for a line is an event; a child that ends without it answers false")
    func waitForOutput() async throws {
        let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "echo ready; exec sleep 3600"])
        #expect(await child.waitForOutput(containing: "ready\n"))
        #expect(child.isRunning)
        let exit = await child.killAndWait()
        #expect(exit.signalled && exit.status == SIGKILL)
        let quiet = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "echo other"])
        #expect(await quiet.waitForOutput(containing: "ready") == false)
    }

    @Test("a bounded wait leaves a running child running; stop ends it")
    func boundedWait() async throws {
        let child = try ChildProcess(executable: "/bin/sleep", arguments: ["3600"])
        #expect(await child.exit(within: .milliseconds(50)) == nil)
        #expect(child.isRunning)
        // SIGTERM, or SIGKILL after the grace where this process ignores SIGTERM (see `stop`).
        let stopped = await child.stop(grace: .seconds(2))
        #expect(stopped.signalled && [SIGTERM, SIGKILL].contains(stopped.status))
        let quick = try ChildProcess(executable: "/bin/true", arguments: [])
        #expect(await quick.exit(within: .seconds(600)) == ChildProcess.Exit(status: 0, signalled: false))
    }

    @Test("a cancelled wait stops the child and still reports its real exit")
    func cancellation() async throws {
        let child = try ChildProcess(executable: "/bin/sleep", arguments: ["3600"])
        let waiting = Task { await child.exit() }
        #expect(await child.waitForOutput(containing: "never", within: .milliseconds(20)) == false)
        waiting.cancel()
        let exit = await waiting.value
        #expect(exit.signalled && [SIGTERM, SIGKILL].contains(exit.status))
    }

    @Test("a missing executable is a clear error")
    func missingExecutable() {
        #expect(throws: ChildProcess.StartFailure.self) { try ChildProcess(executable: "/nonexistent/tool", arguments: []) }
    }

    @Test("output can go to a file, appended")
    func outputToFile() async throws {
        let file = URL(fileURLWithPath: NSTemporaryDirectory() + "dml-child-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: file) }
        for word in ["one", "two"] {
            let child = try ChildProcess(executable: "/bin/echo", arguments: [word], output: .file(file))
            #expect(await child.exitStatus() == 0)
        }
        #expect(try String(contentsOf: file, encoding: .utf8) == "one\ntwo\n")
    }
}

@Suite("Blocking work on threads of its own")
struct BlockingTests {
    /// The stall's pattern: blocking waits that can only end when other blocking work runs.
    /// On the cooperative pool (two threads here) or Dispatch's global queues (a few more) the
    /// waiters take every thread and nothing else runs again; a thread per job always finishes.
    @Test("a chain of 64 blocking waits, each released by the next job, finishes")
    func dependentBlockingWaitsFinish() async throws {
        let count = 64
        let gates = (0..<count).map { _ in DispatchSemaphore(value: 0) }
        let order = try await withThrowingTaskGroup(of: Int.self) { group in
            // Job i waits for gate i, which job i + 1 opens; the last job opens its own.
            for index in 0..<count {
                group.addTask {
                    await Blocking.run {
                        if index + 1 < count { gates[index].wait() }
                        if index > 0 { gates[index - 1].signal() }
                        return index
                    }
                }
            }
            var finished: [Int] = []
            for try await index in group { finished.append(index) }
            return finished
        }
        #expect(order.sorted() == Array(0..<count))
    }

    @Test("errors come back to the caller")
    func errorsPropagate() async {
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await Blocking.run { () throws -> Int in throw Refused() } }
    }
}
