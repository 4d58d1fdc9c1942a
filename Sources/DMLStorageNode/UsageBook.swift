import DMLBlobs
import Foundation
import Synchronization

/// Bytes this node has served per bucket, in all: cumulative, so a usage report is idempotent.
/// Kept in a small JSON file written atomically (temp file, then rename), so a restart does
/// not forget what has been served and cannot bill it twice.
final class UsageBook: Sendable {
    private let path: String
    private let served: Mutex<[UInt64: UInt64]>
    /// The counters as last written, to skip writes when nothing was served since.
    private let saved = Mutex<[UInt64: UInt64]?>(nil)

    init(path: String) throws {
        self.path = path
        if let data = FileManager.default.contents(atPath: path) {
            let decoded = try JSONDecoder().decode([String: UInt64].self, from: data)
            served = Mutex(Dictionary(uniqueKeysWithValues: decoded.compactMap { key, value in UInt64(key).map { ($0, value) } }))
        } else {
            served = Mutex([:])
        }
    }

    func add(_ bytes: UInt64, to bucket: UInt64) {
        served.withLock { $0[bucket, default: 0] += bytes }
    }

    func snapshot() -> [UInt64: UInt64] { served.withLock { $0 } }

    /// Writes the counters to disk atomically.
    func save() throws {
        let counters = snapshot()
        let data = try JSONEncoder().encode(Dictionary(uniqueKeysWithValues: counters.map { (String($0.key), $0.value) }))
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        saved.withLock { $0 = counters }
    }

    /// Writes the counters if they moved since the last write.
    func saveIfChanged() throws {
        if saved.withLock({ $0 }) != snapshot() { try save() }
    }
}
