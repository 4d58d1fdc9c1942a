import DMLCore
import DMLLedger
import DMLNode
import DMLStore
import Foundation
import Testing

enum Fixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func temporaryDirectory(_ name: String = #function) -> String {
        let path = NSTemporaryDirectory() + "dml-test-\(name.prefix(30).filter { $0.isLetter })-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The `dml` executable built beside the tests.
    static var binary: String {
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

func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                currentDirectory: String? = nil) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment
    merged.removeValue(forKey: "DATABASE_URL")
    for (key, value) in environment { merged[key] = value }
    process.environment = merged
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
}
