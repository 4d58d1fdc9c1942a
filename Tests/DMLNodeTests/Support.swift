import DMLCore
import DMLLedger
import DMLNode
import DMLStore
import DMLSystem
import Foundation
import Testing

enum Fixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Ends the test process with every thread's stack when the cooperative pool or Dispatch's
    /// global queue runs nothing for ten minutes (every thread blocked: a stall), instead of
    /// letting it hang until CI's time runs out. Started by the first test that asks for a folder,
    /// the binary or a world. (Ten minutes: under load, CPU-bound synchronous tests were seen holding
    /// both pool threads for up to 105 s at the start of a run; a real stall never ends.)
    static let watchdog = StallWatchdog.start(limitSeconds: 600) { stall in
        FileHandle.standardError.write(Data((stall.description + "\n").utf8))
        print("✘ Test run stalled: \(stall.pool) blocked (see the stacks above)")
        exit(70)
    }

    static func temporaryDirectory(_ name: String = #function) -> String {
        _ = watchdog
        let path = NSTemporaryDirectory() + "dml-test-\(name.prefix(30).filter { $0.isLetter })-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The `dml` executable built beside the tests.
    static var binary: String {
        _ = watchdog
        let candidates = [".build/debug/dml", ".build/x86_64-unknown-linux-gnu/debug/dml"].map { packageRoot + "/" + $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    static let keys = (0..<6).map { AccountKey.insecureDerived(from: "node-test-\($0)") }

    static func spec(name: String = "dml-node-test") -> ChainSpec {
        ChainSpec(name: name, isDevelopment: true, genesisTimestampMilliseconds: 1_700_000_000_000,
                  allocations: keys.map { .init($0.account, .tokens(1_000)!) }, superAdmins: [keys[0].account])
    }
}

/// The two databases the log runs on. PostgreSQL comes from `scripts/test`, which starts a
/// real server and sets `DML_TEST_DATABASE_URL`; without it those cases are skipped unless
/// `DML_REQUIRE_POSTGRES=1`, in which case its absence is a failure.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static let environment = ProcessInfo.processInfo.environment

    /// A fresh, empty log location, or `nil` when this backend is unavailable here.
    func freshLocation() -> DatabaseLocation? {
        switch self {
        case .sqlite:
            return .sqlite(path: Fixtures.temporaryDirectory() + "/ledger.sqlite")
        case .postgres:
            guard let url = Self.environment["DML_TEST_DATABASE_URL"] else {
                if Self.environment["DML_REQUIRE_POSTGRES"] == "1" { Issue.record("DML_TEST_DATABASE_URL is not set") }
                return nil
            }
            return .postgres(url: url, schema: "t_\(UUID().uuidString.prefix(12).lowercased().filter { $0 != "-" })")
        }
    }
}

/// Runs a program to completion without blocking a thread (its exit and output are events), with
/// this process's environment less `DATABASE_URL`, plus `environment`.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                currentDirectory: String? = nil) async throws -> (status: Int32, output: String, error: String) {
    var merged = ProcessInfo.processInfo.environment
    merged.removeValue(forKey: "DATABASE_URL")
    for (key, value) in environment { merged[key] = value }
    let result = try await ChildProcess.run(executable, arguments, environment: merged, currentDirectory: currentDirectory)
    return (result.exit.status, result.output, result.error)
}

/// The wall clock plus an offset a test moves forward: for a server that must keep real time
/// for its long polls (a frozen clock would make them wait forever) while a test passes a
/// deadline, a lease or a phase without sleeping. Block times read it too, so it never goes back.
final class SkewedClock: @unchecked Sendable {
    private let lock = NSLock()
    private var offsetMilliseconds: UInt64 = 0

    func now() -> UInt64 { LedgerService.wallClockMilliseconds() + lock.withLock { offsetMilliseconds } }

    func jump(byMilliseconds delta: UInt64) { lock.withLock { offsetMilliseconds += delta } }

    var function: @Sendable () -> UInt64 { { [self] in now() } }
}
