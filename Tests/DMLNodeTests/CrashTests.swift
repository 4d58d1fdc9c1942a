import DMLCore
import DMLLedger
import DMLNode
import DMLStore
import DMLSystem
import Foundation
import Testing

/// A process killed with SIGKILL at random moments loses no committed block and leaves no
/// partial one: the log always verifies, holds every block the process reported committed, and
/// a restart reaches the state root of the last block.
@Suite struct CrashTests {
    @Test func sigkillAtRandomMomentsLosesNoCommittedBlock() async throws {
        let directory = Fixtures.temporaryDirectory()
        // Seeded: the kill points are chosen by commit count, not by time. DML_CRASH_SEED replays.
        let seed = ProcessInfo.processInfo.environment["DML_CRASH_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...1_000_000)
        var random = SeededGenerator(seed: seed)
        let replay = "seed \(seed) (replay: DML_CRASH_SEED=\(seed) swift test --filter CrashTests)"
        var lastReported: UInt64 = 0
        for round in 0..<4 {
            let writer = try ChildProcess(executable: Fixtures.binary, arguments: ["ledger", "stress", "--directory", directory],
                                          output: .capture, errors: .discard)
            // Kill right after a seeded number of reported commits.
            let commits = Int.random(in: 3...25, using: &random)
            let reached = await writer.waitForOutput { Self.committedHeights(in: $0).count >= commits }
            await writer.killAndWait()
            lastReported = max(lastReported, Self.committedHeights(in: writer.outputBytes).max() ?? 0)
            #expect(reached, "round \(round): the writer stopped before \(commits) commits; \(replay)")

            let log = try await BlockLog.open(.sqlite(path: directory + "/ledger.sqlite"))
            do {
                let report = try await ChainVerifier.verify(log: log)
                #expect(report.head.height >= lastReported,
                        "block \(lastReported) was reported committed but the log ends at \(report.head.height); \(replay)")
                #expect(report.invariantViolations.isEmpty, "\(replay)")
                let (ledger, _) = try await LedgerRestore.open(log: log)
                #expect(ledger.head == report.head, "\(replay)")
            } catch {
                await log.close()
                throw error
            }
            await log.close()
        }
        #expect(lastReported > 0, "\(replay)")
    }

    /// The heights in the writer's "committed N" lines.
    static func committedHeights(in output: Data) -> [UInt64] {
        String(decoding: output, as: UTF8.self).split(separator: "\n").compactMap { line in
            line.hasPrefix("committed ") ? UInt64(line.dropFirst("committed ".count)) : nil
        }
    }
}
