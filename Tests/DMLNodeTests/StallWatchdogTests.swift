import DMLSystem
import Foundation
import Testing

/// The watchdog catches a real stall and says where it is: `dml stall-check` blocks every thread
/// of its cooperative pool on purpose, and must end with the watchdog's report (and, where gdb
/// is installed, every thread's stack), not hang.
@Suite("Stall watchdog")
struct StallWatchdogTests {
    @Test("a process whose cooperative pool is blocked is reported with its threads' stacks")
    func aStallIsCaughtAndExplained() async throws {
        let child = try ChildProcess(executable: Fixtures.binary, arguments: ["stall-check", "--limit-seconds", "2"])
        // Generous: the report comes after 2 s of stall plus gdb's time; a watchdog that never
        // fires is the failure this bound turns into a test failure instead of a hang.
        let exit = await child.exit(within: .seconds(300))
        if exit == nil { await child.killAndWait() }
        #expect(exit?.status == 0, "\(child.output)")
        #expect(child.output.contains("STALL: the cooperative pool ran no work"), "\(child.output)")
        let gdb = ["/usr/bin/gdb", "/usr/local/bin/gdb"].contains { FileManager.default.isExecutableFile(atPath: $0) }
        // Stacks where gdb may attach (a machine that forbids ptrace says so in the report instead).
        let attachRefused = child.output.contains("ptrace") || child.output.contains("Could not attach")
        if gdb && !attachRefused { #expect(child.output.contains("Thread "), "the stacks: \(child.output)") }
    }
}
