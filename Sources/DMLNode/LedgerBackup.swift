import Crypto
import DMLCore
import DMLLedger
import DMLStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A backup of the block log as one file, whatever the database: the chain spec and every block
/// in canonical bytes, sealed by a SHA-256 of everything before it. Restoring writes the blocks
/// into an empty log and re-executes them from genesis, so a backup that restores is a backup
/// that verifies. Snapshots are not copied: they are a cache the restored log rebuilds.
///
/// Layout (integers little-endian): `"DMLBACKUP1\n"`, u32 length + chain spec; then per block
/// u32 length + block, from height 0 up; then u32 `0xFFFFFFFF`, u64 block count, 32-byte SHA-256
/// of all preceding bytes.
public enum LedgerBackup {
    static let magic = Array("DMLBACKUP1\n".utf8)
    static let endMarker: UInt32 = 0xFFFF_FFFF

    public struct Summary: Sendable {
        public let blocks: UInt64
        public let head: BlockHeader
        public let bytes: Int
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Writes the log's blocks to `path` (through `path.partial`, renamed once complete and synced).
    public static func write(log: BlockLog, to path: String) async throws -> Summary {
        guard let spec = try await log.chainSpec(), let headHeight = try await log.headHeight() else {
            throw Failure("the log at \(log.location) is empty: nothing to back up")
        }
        let partial = path + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]),
              let file = FileHandle(forWritingAtPath: partial) else { throw Failure("cannot create \(partial)") }
        var hasher = SHA256()
        var written = 0
        func emit(_ bytes: [UInt8]) throws {
            hasher.update(data: bytes)
            try file.write(contentsOf: bytes)
            written += bytes.count
        }
        do {
            try emit(magic)
            try emit(framed(spec.canonicalBytes))
            var next: UInt64 = 0, head: BlockHeader?
            while next <= headHeight {
                // The log may grow while this runs (a live server): the backup stops at the head it saw.
                let page = try await log.blocks(from: next, limit: Int(min(500, headHeight + 1 - next)))
                guard let last = page.last else { break }
                for block in page {
                    guard block.height == next else { throw Failure("the log skips from height \(next) to \(block.height)") }
                    try emit(framed(block.canonicalBytes))
                    next += 1
                }
                head = last.header
            }
            guard let head, next == headHeight + 1 else { throw Failure("the log ended at \(next) before its head \(headHeight)") }
            var trailer = ByteWriter()
            trailer.write(endMarker)
            trailer.write(next)
            try emit(trailer.bytes)
            let digest = Array(hasher.finalize())
            try file.write(contentsOf: digest)
            written += digest.count
            try file.synchronize()
            try file.close()
            // rename(2) replaces an older backup atomically: there is always a whole file at `path`.
            guard rename(partial, path) == 0 else { throw Failure("cannot move \(partial) to \(path): errno \(errno)") }
            return Summary(blocks: next, head: head, bytes: written)
        } catch {
            try? file.close()
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }

    /// Reads and checks the file at `path` (its seal, then each record), writes its blocks into
    /// `log`, which must be empty, and verifies the result from genesis.
    public static func restore(from path: String, into log: BlockLog) async throws -> ChainVerifier.Report {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw Failure("cannot read \(path): \(error.localizedDescription)")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= magic.count + 4 + 12 + 32, Array(bytes.prefix(magic.count)) == magic else {
            throw Failure("\(path) is not a DML backup (no DMLBACKUP1 header)")
        }
        let sealed = bytes.count - 32
        guard Array(SHA256.hash(data: bytes[..<sealed])) == Array(bytes[sealed...]) else {
            throw Failure("\(path) is damaged or truncated: its SHA-256 seal does not match")
        }
        guard try await log.chainSpec() == nil else {
            throw Failure("the target log at \(log.location) already holds a chain; restore into an empty folder or database")
        }
        var reader = ByteReader(Array(bytes[magic.count..<sealed]))
        let spec = try ChainSpec(canonicalBytes: try record(&reader, "chain spec"))
        let (_, genesis) = try Ledger.genesis(spec)
        var height: UInt64 = 0
        while true {
            let length = try reader.readUInt32("record length")
            if length == endMarker {
                let count = try reader.readUInt64("block count")
                guard count == height, reader.isAtEnd else { throw Failure("the backup's trailer says \(count) blocks; it holds \(height)") }
                break
            }
            let block = try Block(canonicalBytes: try reader.readFixed(Int(length), "block"))
            guard block.height == height else { throw Failure("record \(height) holds block \(block.height)") }
            if height == 0 {
                // From here on the target holds blocks: a failure says to discard it.
                guard block == genesis else { throw Failure("the backup's genesis block is not the one its chain spec makes") }
                try await log.initialize(spec: spec, genesis: genesis)
            } else {
                do { try await log.append(block) } catch {
                    throw Failure("writing block \(height) failed (\(error)); discard \(log.location) before trying again")
                }
            }
            height += 1
        }
        do {
            return try await ChainVerifier.verify(log: log)
        } catch {
            throw Failure("the restored blocks do not verify (\(error)); discard \(log.location) before trying again")
        }
    }

    private static func framed(_ bytes: [UInt8]) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(UInt32(bytes.count))
        return writer.bytes + bytes
    }

    private static func record(_ reader: inout ByteReader, _ what: StaticString) throws -> [UInt8] {
        let length = try reader.readUInt32("record length")
        return try reader.readFixed(Int(length), what)
    }
}
