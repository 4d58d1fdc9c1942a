import DMLCore

/// A key in the ledger's one namespaced key space: `module (u16 BE) ‖ map (u8) ‖ key bytes`.
///
/// The module prefix is the namespace: a module's maps can only produce keys inside it, and
/// the runtime lets a module write only while that module is registered (see `CallContext`).
public struct StateKey: Hashable, Comparable, Sendable {
    public let bytes: [UInt8]

    public init(module: ModuleID, map: UInt8, key: [UInt8]) {
        var bytes: [UInt8] = [UInt8(module.rawValue >> 8), UInt8(truncatingIfNeeded: module.rawValue), map]
        bytes.append(contentsOf: key)
        self.bytes = bytes
    }

    public init(raw bytes: [UInt8]) { self.bytes = bytes }

    public var module: ModuleID {
        ModuleID(UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
    }

    public static func < (lhs: StateKey, rhs: StateKey) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    /// Hashes the bytes in one call rather than byte by byte: keys are hashed on every read.
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

/// A typed map inside a module's namespace: keys and values in canonical encoding.
public struct StorageMap<Key: CanonicalEncodable, Value: CanonicalCodable>: Sendable {
    public let module: ModuleID
    public let map: UInt8

    public init(module: ModuleID, map: UInt8) {
        self.module = module
        self.map = map
    }

    public func stateKey(_ key: Key) -> StateKey { StateKey(module: module, map: map, key: key.canonicalBytes) }
}

/// The empty key, for maps that hold a single value.
public struct Unit: CanonicalCodable, Hashable, Sendable {
    public init() {}
    public func encode(to writer: inout ByteWriter) {}
    public init(from reader: inout ByteReader) throws(DecodingError) {}
}
