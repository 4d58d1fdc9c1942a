import ArgumentParser
import DMLSystem
import Foundation

/// `dml stall-check`: stalls its own cooperative pool on purpose and lets the watchdog find it,
/// printing the report with every thread's stack. Not for people: `StallWatchdogTests` runs it to
/// show that a stall is caught and explained (decision 0011).
struct StallCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stall-check", abstract: "Block every thread of the cooperative pool and let the watchdog report it (a test).",
        shouldDisplay: false)

    @Option(help: "Seconds without progress before the watchdog reports.") var limitSeconds: Double = 2

    func run() async throws {
        StallWatchdog.start(limitSeconds: limitSeconds) { stall in
            print(stall.description)
            Foundation.exit(0)
        }
        // blocking: the point of this command is to block every thread of the pool.
        let gate = DispatchSemaphore(value: 0)
        for _ in 0..<(ProcessInfo.processInfo.activeProcessorCount * 2) {
            Task.detached { gate.wait() } // blocking: on purpose, see above
        }
        await Blocking.run { gate.wait() } // blocking: never signalled; the watchdog ends the process
    }
}
