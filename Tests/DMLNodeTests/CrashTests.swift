import DMLCore
import DMLLedger
import DMLNode
import DMLStore
import Foundation
import Testing

/// A process killed with SIGKILL at random moments loses no committed block and leaves no
/// partial one: the log always verifies, holds every block the process reported committed, and
/// a restart reaches the state root of the last block.
@Suite struct CrashTests {
    @Test func sigkillAtRandomMomentsLosesNoCommittedBlock() async throws {
        let directory = Fixtures.temporaryDirectory()
        var random = SystemRandomNumberGenerator()
        var lastReported: UInt64 = 0
        for round in 0..<4 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Fixtures.binary)
            process.arguments = ["ledger", "stress", "--directory", directory]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let reader = LineReader(output.fileHandleForReading)
            // Wait for a few commits, then kill at a random moment.
            var commits = 0
            while commits < 3, let line = reader.nextLine() {
                if let height = Self.height(line) { lastReported = max(lastReported, height); commits += 1 }
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...250, using: &random)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            while let line = reader.nextLine() { if let height = Self.height(line) { lastReported = max(lastReported, height) } }
            #expect(process.terminationReason == .uncaughtSignal, "round \(round)")

            let log = try await BlockLog.open(.sqlite(path: directory + "/ledger.sqlite"))
            let report = try await ChainVerifier.verify(log: log)
            #expect(report.head.height >= lastReported, "block \(lastReported) was reported committed but the log ends at \(report.head.height)")
            #expect(report.invariantViolations.isEmpty)
            let (ledger, _) = try await LedgerRestore.open(log: log)
            #expect(ledger.head == report.head)
            await log.close()
        }
        #expect(lastReported > 0)
    }

    static func height(_ line: String) -> UInt64? {
        guard line.hasPrefix("committed ") else { return nil }
        return UInt64(line.dropFirst("committed ".count))
    }
}

/// Reads a pipe line by line.
final class LineReader {
    let handle: FileHandle
    var buffer = Data()

    init(_ handle: FileHandle) { self.handle = handle }

    func nextLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0a) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                return line
            }
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }
}
