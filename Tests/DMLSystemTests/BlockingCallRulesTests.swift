import Foundation
import Testing

/// Holds the rule that keeps the process from stalling: a call that blocks its thread (a wait
/// for a process, a semaphore, a synchronous read of a pipe, a sleep, work queued on Dispatch's
/// small global pool) happens only in `Sources/DMLSystem`, which runs it on a thread of its own.
/// Anywhere else such a line needs a `// blocking:` note, on it or in the comment just above it,
/// saying why it cannot hold up the cooperative pool (say, a command-line child that has nothing
/// else to do). Test code follows the same rule: the suite runs every test in one process.
@Suite("No blocking call outside DMLSystem without a reason")
struct BlockingCallRulesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// What blocks a thread, as it reads in source: a name and a regular expression (ICU).
    static let patterns: [(name: String, regex: String)] = [
        ("Process.waitUntilExit", #"waitUntilExit\("#),
        ("FileHandle.readDataToEndOfFile", #"readDataToEndOfFile\("#),
        ("FileHandle.readToEnd", #"\.readToEnd\("#),
        ("FileHandle.availableData", #"\.availableData\b"#),
        ("DispatchSemaphore", #"DispatchSemaphore\b"#),
        ("DispatchGroup", #"DispatchGroup\b"#),
        ("NSCondition", #"NSCondition\b"#),
        ("DispatchQueue.global", #"DispatchQueue\.global\("#),
        // `queue.sync { … }`, `queue.sync(execute:)`; not a file's `sync()` (fsync).
        ("DispatchQueue.sync", #"\.sync\s*(\{|\((execute|flags))"#),
        ("Thread.sleep", #"Thread\.sleep\("#),
        ("sleep/usleep", #"(?<![.\w])u?sleep\("#),
        ("a synchronous wait()", #"\.wait\((timeout:[^)]*)?\)"#),
    ]

    static func matches(_ code: String, _ pattern: String) -> Bool {
        code.range(of: pattern, options: .regularExpression) != nil
    }

    /// Folders whose code may block: the primitives themselves and their tests.
    static let exempt = ["Sources/DMLSystem/", "Tests/DMLSystemTests/"]

    static func findings() throws -> [String] {
        var found: [String] = []
        for folder in ["Sources", "Tests"] {
            let base = root.appendingPathComponent(folder)
            guard let files = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
            for case let file as URL in files where file.pathExtension == "swift" {
                let relative = String(file.path.dropFirst(root.path.count + 1))
                if exempt.contains(where: relative.hasPrefix) { continue }
                let lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
                for (index, line) in lines.enumerated() {
                    let code = line.components(separatedBy: "//").first ?? ""
                    for pattern in patterns where matches(code, pattern.regex) {
                        if Self.hasReason(lines, at: index) { continue }
                        found.append("\(relative):\(index + 1): \(pattern.name) — \(line.trimmingCharacters(in: .whitespaces))")
                    }
                }
            }
        }
        return found
    }

    /// A `// blocking:` note on the line or in the comment lines right above it.
    static func hasReason(_ lines: [String], at index: Int) -> Bool {
        if lines[index].contains("// blocking:") { return true }
        var above = index - 1
        while above >= 0, lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("//") {
            if lines[above].contains("// blocking:") { return true }
            above -= 1
        }
        return false
    }

    @Test("every blocking call outside DMLSystem says why it is safe")
    func noUnexplainedBlockingCalls() throws {
        let found = try Self.findings()
        let message = "blocking calls without a `// blocking:` reason (use DMLSystem's Blocking or ChildProcess):\n" + found.joined(separator: "\n")
        #expect(found.isEmpty, Comment(rawValue: message))
    }

    @Test("the rule sees what it is meant to see")
    func theRuleMatches() {
        let samples = ["process.waitUntilExit()", "semaphore.wait()", "semaphore.wait(timeout: .now() + 1)", "usleep(10)",
                       "DispatchQueue.global().async {", "queue.sync {", "let d = handle.availableData", "Thread.sleep(forTimeInterval: 1)"]
        for sample in samples {
            #expect(Self.patterns.contains { Self.matches(sample, $0.regex) }, "\(sample)")
        }
        let fine = ["try await Task.sleep(for: .seconds(1))", "await child.exit()", "group.waitForAll()", "await events.wait { $0 }",
                    "try file.sync()"]
        for sample in fine {
            #expect(!Self.patterns.contains { Self.matches(sample, $0.regex) }, "\(sample)")
        }
        #expect(Self.hasReason(["// blocking: the child has nothing else to do", "let x = h.readDataToEndOfFile()"], at: 1))
        #expect(!Self.hasReason(["let y = 1", "let x = h.readDataToEndOfFile()"], at: 1))
    }
}
