import Crypto
import DMLCore

/// A content address: an IPFS CIDv1 over a SHA-256 digest, for a raw block or a dag-cbor block.
///
/// Binary form (36 bytes): `varint(1) ‖ varint(codec) ‖ 0x12 ‖ 0x20 ‖ digest`.
/// Text form: `b` followed by the binary form in lower-case base32 without padding (59
/// characters), e.g. `bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku` for the
/// empty byte string. Only this one form is accepted, so equal CIDs have equal text.
public struct ContentID: Hashable, Comparable, Sendable, LosslessStringConvertible, Codable {
    /// What the addressed block holds (a multicodec code).
    public enum Codec: UInt64, Sendable, CaseIterable {
        /// Plain bytes: a whole small blob, or one chunk of a large one.
        case raw = 0x55
        /// A DAG-CBOR block: a `BlobManifest`.
        case dagCBOR = 0x71
    }

    /// The only CID version DML writes or reads.
    public static let version: UInt64 = 1
    /// The multihash code of SHA2-256.
    public static let sha256Code: UInt64 = 0x12
    /// The text form's multibase prefix: base32, lower case, no padding.
    public static let multibasePrefix: Character = "b"
    /// The length of every text form: `b` and 36 bytes in base32.
    public static let textCharactersMax = 59

    public let codec: Codec
    /// The SHA-256 digest of the block's bytes.
    public let digest: Hash256

    public init(codec: Codec, digest: Hash256) {
        self.codec = codec
        self.digest = digest
    }

    /// The CID of `block`, a block of kind `codec`.
    public static func of(_ block: some Collection<UInt8>, codec: Codec) -> ContentID {
        var hasher = SHA256()
        let hashedInPlace: Void? = block.withContiguousStorageIfAvailable { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        if hashedInPlace == nil { hasher.update(data: Array(block)) }
        return ContentID(codec: codec, finishing: hasher)
    }

    /// The CID whose digest is what `hasher` has seen so far.
    init(codec: Codec, finishing hasher: SHA256) {
        guard let digest = Hash256(bytes: Array(hasher.finalize())) else { preconditionFailure("SHA-256 gives 32 bytes") }
        self.init(codec: codec, digest: digest)
    }

    /// The binary form: version, codec, multihash.
    public var bytes: [UInt8] {
        Varint.encode(Self.version) + Varint.encode(codec.rawValue)
            + Varint.encode(Self.sha256Code) + Varint.encode(UInt64(Hash256.byteCount)) + digest.bytes
    }

    /// The text form, `b…`.
    public var description: String { String(Self.multibasePrefix) + Base32.encode(bytes) }

    public static func < (lhs: ContentID, rhs: ContentID) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    /// Parses the text form; `nil` if it is not one. Use `init(parsing:)` to learn why.
    public init?(_ description: String) {
        guard let id = try? ContentID(parsing: description) else { return nil }
        self = id
    }

    /// Parses the text form, `b` followed by lower-case unpadded base32.
    public init(parsing text: String) throws(ContentIDError) {
        guard let prefix = text.first else { throw .empty }
        guard prefix == Self.multibasePrefix else { throw .unsupportedMultibase(prefix) }
        // A limit before decoding, so a hostile megabyte of text costs nothing to refuse.
        guard text.utf8.count <= Self.textCharactersMax else { throw .tooLong(characters: text.utf8.count) }
        let binary: [UInt8]
        do {
            binary = try Base32.decode(text.utf8.dropFirst())
        } catch {
            switch error {
            case .invalidCharacter(let offset): throw .invalidBase32Character(offset: offset)
            case .impossibleLength(let count): throw .impossibleBase32Length(count: count)
            case .nonZeroPadding: throw .nonZeroBase32Padding
            }
        }
        try self.init(bytes: binary)
    }

    /// Parses the binary form, rejecting trailing bytes.
    public init(bytes: [UInt8]) throws(ContentIDError) {
        var offset = 0
        self = try ContentID(bytes: bytes, at: &offset)
        guard offset == bytes.count else { throw .trailingBytes(count: bytes.count - offset) }
    }

    /// Parses one binary CID starting at `offset`, and moves `offset` past it.
    public init(bytes: [UInt8], at offset: inout Int) throws(ContentIDError) {
        let version = try Self.readVarint(bytes, &offset, "version")
        guard version == Self.version else { throw .unsupportedVersion(version) }
        let codecCode = try Self.readVarint(bytes, &offset, "codec")
        guard let codec = Codec(rawValue: codecCode) else { throw .unsupportedCodec(codecCode) }
        let hashCode = try Self.readVarint(bytes, &offset, "hash function")
        guard hashCode == Self.sha256Code else { throw .unsupportedHash(hashCode) }
        let length = try Self.readVarint(bytes, &offset, "digest length")
        guard length == UInt64(Hash256.byteCount) else { throw .wrongDigestLength(declared: length) }
        let available = bytes.count - offset
        guard available >= Hash256.byteCount, let digest = Hash256(bytes: Array(bytes[offset..<offset + Hash256.byteCount])) else {
            throw .truncated(field: "digest", needed: Hash256.byteCount, available: available)
        }
        offset += Hash256.byteCount
        self.init(codec: codec, digest: digest)
    }

    private static func readVarint(_ bytes: [UInt8], _ offset: inout Int, _ field: String) throws(ContentIDError) -> UInt64 {
        do {
            return try Varint.decode(bytes, at: &offset)
        } catch .truncated {
            throw .truncated(field: field, needed: 1, available: 0)
        } catch {
            throw .invalidVarint(field: field)
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try ContentID(parsing: text)
        } catch {
            throw Swift.DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Why a text or byte string is not a CID DML accepts.
public enum ContentIDError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    /// Longer than any CID DML accepts (59 characters).
    case tooLong(characters: Int)
    /// The text does not start with `b` (base32 lower case): another multibase, or a CIDv0 `Qm…`.
    case unsupportedMultibase(Character)
    /// The character at `offset` after the prefix (0-based) is not lower-case base32.
    case invalidBase32Character(offset: Int)
    /// So many base32 characters cannot encode whole bytes.
    case impossibleBase32Length(count: Int)
    /// The base32 text is not the canonical spelling: its leftover bits are not zero.
    case nonZeroBase32Padding
    case unsupportedVersion(UInt64)
    case unsupportedCodec(UInt64)
    case unsupportedHash(UInt64)
    case wrongDigestLength(declared: UInt64)
    case invalidVarint(field: String)
    case truncated(field: String, needed: Int, available: Int)
    case trailingBytes(count: Int)

    public var description: String {
        "invalid CID: " + reason
    }

    /// The reason alone, without the "invalid CID" lead.
    public var reason: String {
        switch self {
        case .empty:
            "the text is empty"
        case .tooLong(let characters):
            "\(characters) characters is longer than a CID (59)"
        case .unsupportedMultibase("Q"):
            "CIDv0 ('Qm…') is not supported; write the CIDv1 form ('b…', e.g. `ipfs cid format -v 1 -b base32`)"
        case .unsupportedMultibase(let prefix):
            "multibase prefix '\(prefix)' is not supported; only 'b' (base32, lower case, no padding) is"
        case .invalidBase32Character(let offset):
            "character \(offset + 1) after the 'b' is not lower-case base32 (a–z, 2–7, no '=' padding)"
        case .impossibleBase32Length(let count):
            "\(count) base32 characters cannot encode whole bytes (characters missing or extra)"
        case .nonZeroBase32Padding:
            "the base32 text has non-zero bits after the last byte (not the canonical spelling)"
        case .unsupportedVersion(let version):
            "CID version \(version) is not supported; only version 1 is"
        case .unsupportedCodec(let code):
            "codec 0x\(String(code, radix: 16)) is not supported; only raw (0x55) and dag-cbor (0x71) are"
        case .unsupportedHash(let code):
            "hash function 0x\(String(code, radix: 16)) is not supported; only sha2-256 (0x12) is"
        case .wrongDigestLength(let declared):
            "a sha2-256 digest has 32 bytes, the CID declares \(declared)"
        case .invalidVarint(let field):
            "the \(field) varint is longer than 9 bytes or not in its shortest form"
        case let .truncated(field, needed, available):
            "the CID ends inside its \(field): \(needed) bytes needed, \(available) left"
        case .trailingBytes(let count):
            "\(count) bytes follow the digest"
        }
    }
}
