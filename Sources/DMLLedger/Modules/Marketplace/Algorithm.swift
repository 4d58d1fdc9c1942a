import DMLCore

/// The address of stored content (an IPFS-compatible CID in binary form, at most 128 bytes).
public struct ContentAddress: Hashable, Sendable, CanonicalCodable, CustomStringConvertible {
    public static let bytesMax = 128
    public let bytes: [UInt8]

    /// `nil` if empty or longer than 128 bytes.
    public init?(bytes: [UInt8]) {
        guard !bytes.isEmpty, bytes.count <= Self.bytesMax else { return nil }
        self.bytes = bytes
    }

    /// The SHA-256 digest as a content address (until blobs define CIDs).
    public init(digest: Hash256) { bytes = digest.bytes }

    public var description: String { Hex.encode(bytes) }

    public func encode(to writer: inout ByteWriter) { writer.writeVariable(bytes) }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        bytes = try reader.readVariable(maxBytes: Self.bytesMax, "content address")
        guard !bytes.isEmpty else { throw .invalidValue(field: "content address", offset: start, reason: "empty") }
    }
}

/// What a developer publishes.
public struct AlgorithmDraft: Hashable, Sendable, CanonicalCodable {
    public var title: String
    public var description: String
    public var dataRequired: String
    public var tags: [String]
    public var price: Amount
    /// Paid per device that runs the algorithm in a job (seed 001's `device_fee`).
    public var deviceFee: Amount
    public var artifact: ContentAddress

    public init(title: String, description: String, dataRequired: String, tags: [String], price: Amount,
                deviceFee: Amount, artifact: ContentAddress) {
        self.title = title
        self.description = description
        self.dataRequired = dataRequired
        self.tags = tags
        self.price = price
        self.deviceFee = deviceFee
        self.artifact = artifact
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(title)
        writer.write(description)
        writer.write(dataRequired)
        writer.write(UInt32(tags.count))
        for tag in tags { writer.write(tag) }
        writer.write(price)
        writer.write(deviceFee)
        writer.write(artifact)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        // Decoding bounds are generous; the module's limits are checked (and named) by the call.
        title = try reader.readString(maxBytes: 4_096, "title")
        description = try reader.readString(maxBytes: 32_768, "description")
        dataRequired = try reader.readString(maxBytes: 8_192, "data required")
        let count = try reader.readUInt32("tags")
        guard count <= 64 else { throw .tooLong(field: "tags", offset: reader.offset - 4, length: Int(count), max: 64) }
        tags = []
        for _ in 0..<count { tags.append(try reader.readString(maxBytes: 256, "tag")) }
        price = try reader.read()
        deviceFee = try reader.read()
        artifact = try reader.read()
    }
}

/// An algorithm on the marketplace.
public struct Algorithm: Hashable, Sendable, CanonicalCodable {
    public enum Status: UInt8, Hashable, Sendable, CanonicalByteEnum {
        case pendingReview = 0, active = 1, inactive = 2

        public static let canonicalName = "algorithm status"
    }

    public var creator: AccountID
    public var draft: AlgorithmDraft
    public var version: UInt32
    public var status: Status
    public var purchases: UInt64
    public var downloads: UInt64
    /// What buyers paid that the creator has not withdrawn: the algorithm's escrow.
    public var proceeds: Amount

    public func encode(to writer: inout ByteWriter) {
        writer.write(creator)
        writer.write(draft)
        writer.write(version)
        writer.write(status)
        writer.write(purchases)
        writer.write(downloads)
        writer.write(proceeds)
    }

    public init(creator: AccountID, draft: AlgorithmDraft) {
        self.creator = creator
        self.draft = draft
        version = 1
        status = .pendingReview
        purchases = 0
        downloads = 0
        proceeds = .zero
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        creator = try reader.read()
        draft = try reader.read()
        version = try reader.readUInt32("version")
        status = try reader.read()
        purchases = try reader.readUInt64("purchases")
        downloads = try reader.readUInt64("downloads")
        proceeds = try reader.read()
    }
}

/// One published version of an algorithm's artifact; history is never rewritten.
public struct AlgorithmVersion: Hashable, Sendable, CanonicalCodable {
    public let artifact: ContentAddress
    public let height: UInt64

    public func encode(to writer: inout ByteWriter) {
        writer.write(artifact)
        writer.write(height)
    }

    public init(artifact: ContentAddress, height: UInt64) {
        self.artifact = artifact
        self.height = height
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        artifact = try reader.read()
        height = try reader.readUInt64("height")
    }
}

/// A buyer's purchase of an algorithm.
public struct Purchase: Hashable, Sendable, CanonicalCodable {
    public let price: Amount
    public let height: UInt64
    /// Granted by a moderator without payment.
    public let forced: Bool

    public func encode(to writer: inout ByteWriter) {
        writer.write(price)
        writer.write(height)
        writer.write(forced)
    }

    public init(price: Amount, height: UInt64, forced: Bool) {
        self.price = price
        self.height = height
        self.forced = forced
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        price = try reader.read()
        height = try reader.readUInt64("height")
        forced = try reader.readBool("forced")
    }
}
