@testable import DMLStorageNode
import Foundation
import Testing

@Suite("Storage node bookkeeping: quotas with uploads in flight, usage counters on disk")
struct QuotaBookTests {
    @Test("uploads in flight count against the quota; a finished upload adds only what it stored")
    func reservations() throws {
        let quotas = QuotaBook()
        var measured = 0
        let measure = { () throws(StorageNodeError) -> UInt64 in measured += 1; return 40 }
        try quotas.reserve(30, in: 1, quota: 100, measure: measure)
        try quotas.reserve(30, in: 1, quota: 100, measure: measure)
        // 40 stored + 60 in flight: one more byte does not fit.
        #expect(throws: StorageNodeError.self) { try quotas.reserve(1, in: 1, quota: 100, measure: measure) }
        #expect(measured == 1)
        quotas.finish(30, in: 1, added: 0)          // an upload failed: its bytes are free again
        quotas.finish(30, in: 1, added: 30)         // the other stored its 30: 70 held
        try quotas.reserve(30, in: 1, quota: 100, measure: measure)
        #expect(throws: StorageNodeError.self) { try quotas.reserve(1, in: 1, quota: 100, measure: measure) }
        quotas.finish(30, in: 1, added: 30)
        quotas.removed(50, from: 1)                  // 50 held
        try quotas.reserve(50, in: 1, quota: 100, measure: measure)
        quotas.finish(50, in: 1, added: 0)
        #expect(measured == 1)
        quotas.forget(1)                             // after a repair: measured again (40)
        try quotas.reserve(60, in: 1, quota: 100, measure: measure)
        #expect(measured == 2)
        // A reservation larger than the whole quota, and another bucket measured on its own.
        #expect(throws: StorageNodeError.self) { try quotas.reserve(101, in: 2, quota: 100, measure: measure) }
    }

    @Test("concurrent reservations never pass the quota together")
    func concurrent() async throws {
        let quotas = QuotaBook()
        let granted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    (try? quotas.reserve(10, in: 7, quota: 205) { () throws(StorageNodeError) -> UInt64 in 0 }) != nil
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(granted == 20)
    }

    @Test("served bytes survive a restart once written; unchanged counters are not rewritten")
    func usageBook() throws {
        let path = Fixtures.temporaryDirectory() + "/usage.json"
        let book = try UsageBook(path: path)
        book.add(1_000, to: 3)
        try book.saveIfChanged()
        #expect(try UsageBook(path: path).snapshot() == [3: 1_000])
        try FileManager.default.removeItem(atPath: path)
        try book.saveIfChanged()                     // nothing moved: no write
        #expect(!FileManager.default.fileExists(atPath: path))
        book.add(24, to: 3)
        try book.saveIfChanged()
        #expect(try UsageBook(path: path).snapshot() == [3: 1_024])
    }
}
