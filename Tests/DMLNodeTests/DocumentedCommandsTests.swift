import DMLCommands
import Foundation
import Testing

/// Every `dml` command line in the README and docs/ is one the command line accepts: a renamed
/// option or a removed subcommand breaks this test, not a newcomer's first try. (What the commands
/// then do is exercised by the suites named in docs/testing.md and by `dml demo`.)
@Suite struct DocumentedCommandsTests {
    @Test("every dml command in a code block of the README or docs/ parses")
    func documentedCommandsParse() throws {
        let root = Fixtures.packageRoot
        let documents = ["README.md"] + (try FileManager.default.contentsOfDirectory(atPath: root + "/docs"))
            .filter { $0.hasSuffix(".md") }.map { "docs/" + $0 }
        var checked = 0
        for document in documents {
            let text = try String(contentsOfFile: root + "/" + document, encoding: .utf8)
            for line in Self.codeLines(text) {
                guard let arguments = Self.dmlArguments(line) else { continue }
                do {
                    _ = try DML.parseAsRoot(arguments)
                    checked += 1
                } catch {
                    Issue.record("\(document): `\(line)` does not parse: \(DML.message(for: error))")
                }
            }
        }
        #expect(checked >= 30, "found only \(checked) documented dml commands")
        // The check can fail: a stale subcommand or option is refused.
        let stale = try #require(Self.dmlArguments("dml ledger rewind --data x"))
        let unknown = try #require(Self.dmlArguments("swift run dml demo --colour"))
        #expect(throws: (any Error).self) { try DML.parseAsRoot(stale) }
        #expect(throws: (any Error).self) { try DML.parseAsRoot(unknown) }
    }

    /// Lines inside shell code blocks (```sh, bash, shell, console; indented too), `\` continuations joined.
    static func codeLines(_ text: String) -> [String] {
        var lines: [String] = [], inside = false, fenced = false, pending = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw), trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {  // fences may be indented, inside a list
                fenced.toggle()
                inside = fenced && ["sh", "bash", "shell", "console"].contains(trimmed.dropFirst(3).trimmingCharacters(in: .whitespaces))
                continue
            }
            guard inside else { continue }
            if line.hasSuffix("\\") { pending += line.dropLast() + " "; continue }
            lines.append(pending + line)
            pending = ""
        }
        return lines
    }

    /// The arguments after `dml` when `line` runs it (`dml …`, `swift run [-c release] dml …`,
    /// `.build/…/dml …`, after `VAR=value` prefixes); nil for other lines and for usage
    /// synopses with placeholders in brackets.
    static func dmlArguments(_ line: String) -> [String]? {
        var words = shellWords(line.components(separatedBy: " #").first ?? line)
        while let first = words.first, first.contains("="), !first.hasPrefix("-") { words.removeFirst() }
        if words.starts(with: ["swift", "run"]) {
            words.removeFirst(2)
            if words.first == "-c" { words.removeFirst(2) }
        }
        guard let command = words.first, command == "dml" || command.hasSuffix("/dml") else { return nil }
        let arguments = Array(words.dropFirst())
        guard !arguments.isEmpty, !arguments.contains(where: { $0.contains("[") || $0.contains("…") || $0.contains("|") }) else {
            return nil
        }
        return arguments
    }

    /// Splits on spaces outside single or double quotes; stops at a pipe or `;`.
    static func shellWords(_ line: String) -> [String] {
        var words: [String] = [], current = "", quote: Character?, started = false
        for character in line {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                started = true
            } else if character == " " || character == "\t" {
                if started || !current.isEmpty { words.append(current) }
                current = ""
                started = false
            } else if character == ";" || (character == "|" && current.isEmpty) || character == "&" {
                break
            } else {
                current.append(character)
            }
        }
        if started || !current.isEmpty { words.append(current) }
        return words
    }
}
