import DMLCore

/// A block's header: what its hash commits to.
public struct BlockHeader: Hashable, Sendable, CanonicalCodable {
    public static let currentVersion: UInt8 = 1

    public let chain: Hash256
    public let height: UInt64
    public let timestampMilliseconds: UInt64
    public let previousHash: Hash256
    /// RFC 6962 Merkle root of the transactions' hashes, in block order.
    public let transactionsRoot: Hash256
    /// RFC 6962 Merkle root of the encoded event records, in order.
    public let eventsRoot: Hash256
    /// The lattice-hash root of the whole state after this block.
    public let stateRoot: Hash256
    public let transactionCount: UInt32
    public let eventCount: UInt32

    public init(chain: Hash256, height: UInt64, timestampMilliseconds: UInt64, previousHash: Hash256,
                transactionsRoot: Hash256, eventsRoot: Hash256, stateRoot: Hash256,
                transactionCount: UInt32, eventCount: UInt32) {
        self.chain = chain
        self.height = height
        self.timestampMilliseconds = timestampMilliseconds
        self.previousHash = previousHash
        self.transactionsRoot = transactionsRoot
        self.eventsRoot = eventsRoot
        self.stateRoot = stateRoot
        self.transactionCount = transactionCount
        self.eventCount = eventCount
    }

    /// The block's identity: SHA-256 of the encoded header.
    public var hash: Hash256 { Hash256.of(canonicalBytes) }

    public func encode(to writer: inout ByteWriter) {
        writer.write(Self.currentVersion)
        writer.write(chain)
        writer.write(height)
        writer.write(timestampMilliseconds)
        writer.write(previousHash)
        writer.write(transactionsRoot)
        writer.write(eventsRoot)
        writer.write(stateRoot)
        writer.write(transactionCount)
        writer.write(eventCount)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        let version = try reader.readUInt8("block version")
        guard version == Self.currentVersion else {
            throw .invalidValue(field: "block version", offset: start, reason: "version \(version) is not supported")
        }
        chain = try reader.read()
        height = try reader.readUInt64("height")
        timestampMilliseconds = try reader.readUInt64("timestamp")
        previousHash = try reader.read()
        transactionsRoot = try reader.read()
        eventsRoot = try reader.read()
        stateRoot = try reader.read()
        transactionCount = try reader.readUInt32("transaction count")
        eventCount = try reader.readUInt32("event count")
    }
}

/// When an event happened within its block.
public enum EventPhase: Hashable, Sendable, CanonicalCodable {
    /// Before the transactions: genesis, and module activations at the block's start.
    case initialization
    /// During the transaction at this index.
    case transaction(UInt32)

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case .initialization: writer.write(UInt8(0))
        case .transaction(let index):
            writer.write(UInt8(1))
            writer.write(index)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("phase") {
        case 0: self = .initialization
        case 1: self = .transaction(try reader.readUInt32("transaction index"))
        case let tag: throw .unknownTag(field: "event phase", offset: start, tag: UInt64(tag))
        }
    }
}

/// An event and when it happened.
public struct EventRecord: Hashable, Sendable, CanonicalCodable {
    public let phase: EventPhase
    public let event: Event

    public init(phase: EventPhase, event: Event) {
        self.phase = phase
        self.event = event
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(phase)
        writer.write(event)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        phase = try reader.read()
        event = try reader.read()
    }
}

/// A block: its header, the transactions it applied (every one succeeded), and their events.
public struct Block: Hashable, Sendable, CanonicalCodable {
    /// The most transactions one block may hold.
    public static let transactionCountMax = 50_000
    public static let eventCountMax = 1_000_000

    public let header: BlockHeader
    public let transactions: [SignedTransaction]
    public let events: [EventRecord]

    public init(header: BlockHeader, transactions: [SignedTransaction], events: [EventRecord]) {
        self.header = header
        self.transactions = transactions
        self.events = events
    }

    public var hash: Hash256 { header.hash }
    public var height: UInt64 { header.height }
    /// No transactions and no events: nothing worth committing.
    public var isEmpty: Bool { transactions.isEmpty && events.isEmpty }

    public static func transactionsRoot(_ hashes: [Hash256]) -> Hash256 { MerkleRoot.of(hashes.map(\.bytes)) }
    public static func eventsRoot(_ events: [EventRecord]) -> Hash256 { MerkleRoot.of(events.map(\.canonicalBytes)) }

    public func encode(to writer: inout ByteWriter) {
        writer.write(header)
        writer.write(transactions)
        writer.write(events)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        header = try reader.read()
        transactions = try reader.readArray(maxCount: Self.transactionCountMax, "transactions")
        events = try reader.readArray(maxCount: Self.eventCountMax, "events")
    }
}
