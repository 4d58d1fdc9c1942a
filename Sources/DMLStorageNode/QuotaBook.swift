import Synchronization

/// Bytes each bucket holds on this node, plus bytes promised to uploads still in flight, so
/// that concurrent uploads cannot together pass a bucket's quota, and a PUT need not list the
/// bucket to know what it holds.
///
/// A bucket's stored total is measured (by listing its blobs) the first time it is needed and
/// kept up to date by uploads and deletes. Two simultaneous uploads of the same new blob both
/// count it once; a repair pass, which may restore or drop blobs, `forget`s the bucket so that
/// the next upload measures it again. Either way the error is on the cautious side or
/// corrected at the next repair; it never lets a bucket pass its quota by more than one blob.
final class QuotaBook: Sendable {
    private struct Entry {
        var stored: UInt64?
        var reserved: UInt64 = 0
    }

    private let entries = Mutex<[UInt64: Entry]>([:])

    /// Reserves `bytes` in `bucket` if the stored bytes, the uploads in flight and `bytes`
    /// together fit in `quota`; `measure` lists the bucket when its total is not known.
    func reserve(_ bytes: UInt64, in bucket: UInt64, quota: UInt64,
                 measure: () throws(StorageNodeError) -> UInt64) throws(StorageNodeError) {
        try entries.withLock { entries throws(StorageNodeError) in
            var entry = entries[bucket] ?? Entry()
            let stored: UInt64
            if let known = entry.stored { stored = known } else { stored = try measure() }
            entry.stored = stored
            let held = stored + entry.reserved
            guard bytes <= quota, held <= quota - bytes else {
                entries[bucket] = entry
                throw .quotaExceeded(bucket: bucket, stored: held, adding: bytes, quota: quota)
            }
            entry.reserved += bytes
            entries[bucket] = entry
        }
    }

    /// Ends a reservation of `reserved` bytes; `added` of them are now stored (0 if the upload failed).
    func finish(_ reserved: UInt64, in bucket: UInt64, added: UInt64) {
        entries.withLock { entries in
            guard var entry = entries[bucket] else { return }
            entry.reserved -= min(reserved, entry.reserved)
            entry.stored = entry.stored.map { $0 + added }
            entries[bucket] = entry
        }
    }

    /// `bytes` of `bucket` were deleted.
    func removed(_ bytes: UInt64, from bucket: UInt64) {
        entries.withLock { entries in
            guard let stored = entries[bucket]?.stored else { return }
            entries[bucket]?.stored = stored - min(stored, bytes)
        }
    }

    /// Drops what is known of `bucket`'s stored total; the next reservation measures it again.
    func forget(_ bucket: UInt64) {
        entries.withLock { entries in entries[bucket]?.stored = nil }
    }
}
