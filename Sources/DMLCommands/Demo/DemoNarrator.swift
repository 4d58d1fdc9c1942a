import Foundation

/// Tells the demo's story on standard output: numbered acts, what happened, progress bars for
/// the long steps (redrawn in place on a terminal, one line per change otherwise, so logs and
/// CI output stay readable).
final class DemoNarrator: @unchecked Sendable {
    private let lock = NSLock()
    private let started = ContinuousClock.now
    private let isTerminal = isatty(STDOUT_FILENO) != 0
    private var act = 0

    func act(_ title: String) {
        lock.withLock {
            act += 1
            write("\n== \(act). \(title)  [\(elapsed)]\n")
        }
    }

    func say(_ text: String) { lock.withLock { write("   \(text)\n") } }
    func done(_ text: String) { lock.withLock { write("   ✓ \(text)\n") } }
    func refused(_ text: String) { lock.withLock { write("   ✗ \(text)\n") } }

    /// A bar for `total` steps; `update` redraws it.
    func progress(_ label: String, total: Int) -> DemoProgress {
        DemoProgress(narrator: self, label: label, total: max(total, 1))
    }

    /// On a terminal every change redraws the line; in a log, only each quarter and the end.
    fileprivate func draw(_ line: String, fraction: (done: Int, total: Int), previous: Int) {
        lock.withLock {
            if isTerminal {
                write("\r\u{1B}[2K   " + line + (fraction.done == fraction.total ? "\n" : ""))
            } else if fraction.done == fraction.total || previous < 0
                        || fraction.done * 4 / fraction.total != previous * 4 / fraction.total {
                write("   " + line + "\n")
            }
        }
    }

    var elapsed: String { String(format: "%.1f s", (ContinuousClock.now - started) / .seconds(1)) }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

final class DemoProgress: @unchecked Sendable {
    private let narrator: DemoNarrator
    private let label: String
    private let total: Int
    private let lock = NSLock()
    private var shown = -1

    fileprivate init(narrator: DemoNarrator, label: String, total: Int) {
        self.narrator = narrator
        self.label = label
        self.total = total
        update(0)
    }

    /// Shows `done` of `total`; a repeated value draws nothing.
    func update(_ done: Int, note: String = "") {
        let value = min(max(done, 0), total)
        let previous = lock.withLock { () -> Int? in
            guard value != shown else { return nil }
            defer { shown = value }
            return shown
        }
        guard let previous else { return }
        let width = 24
        let filled = value * width / total
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        narrator.draw("\(label) \(bar) \(value)/\(total)\(note.isEmpty ? "" : "  " + note)", fraction: (value, total),
                      previous: previous)
    }
}
