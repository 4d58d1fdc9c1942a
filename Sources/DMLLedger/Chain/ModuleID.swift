import DMLCore

/// Names a ledger module: its namespace in the state and its tag in calls and events.
///
/// Numbers are part of the protocol: never renumber or reuse one.
public struct ModuleID: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    public let rawValue: UInt16

    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let system = ModuleID(0)
    public static let registry = ModuleID(1)
    public static let roles = ModuleID(2)
    public static let balances = ModuleID(3)
    public static let marketplace = ModuleID(10)
    public static let bounties = ModuleID(11)
    public static let tasks = ModuleID(12)
    public static let vouchers = ModuleID(13)
    public static let storage = ModuleID(14)
    public static let jobs = ModuleID(15)
    public static let federated = ModuleID(16)
    public static let privacy = ModuleID(17)

    /// Numbers from here up are never used by built-in modules (tests and experiments).
    public static let firstExperimental = ModuleID(60_000)

    public static func < (lhs: ModuleID, rhs: ModuleID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .system: "system"
        case .registry: "registry"
        case .roles: "roles"
        case .balances: "balances"
        case .marketplace: "marketplace"
        case .bounties: "bounties"
        case .tasks: "tasks"
        case .vouchers: "vouchers"
        case .storage: "storage"
        case .jobs: "jobs"
        case .federated: "federated"
        case .privacy: "privacy"
        default: "module#\(rawValue)"
        }
    }

    public func encode(to writer: inout ByteWriter) { writer.write(rawValue) }
    public init(from reader: inout ByteReader) throws(DecodingError) { rawValue = try reader.readUInt16("module") }
}

/// What a transaction asks a module to do: the module, and a body that the module's active
/// logic version decodes (a `u8` call tag, then the call's fields).
///
/// The body is opaque at this level so that an upgraded module version can add calls without
/// changing the transaction format.
public struct Call: Hashable, Sendable, CanonicalCodable {
    /// The most bytes a call body may have: room for seed 004's 100 kB storage params.
    public static let bodyBytesMax = 128 * 1024

    public let module: ModuleID
    public let body: [UInt8]

    public init(module: ModuleID, body: [UInt8]) {
        self.module = module
        self.body = body
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(module)
        writer.writeVariable(body)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        module = try reader.read()
        body = try reader.readVariable(maxBytes: Self.bodyBytesMax, "call body")
    }
}

/// Something a module reports that it did: the module and its encoded event body.
public struct Event: Hashable, Sendable, CanonicalCodable {
    public let module: ModuleID
    public let body: [UInt8]

    public init(module: ModuleID, body: [UInt8]) {
        self.module = module
        self.body = body
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(module)
        writer.writeVariable(body)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        module = try reader.read()
        body = try reader.readVariable(maxBytes: 1 << 20, "event body")
    }
}

/// A module's typed call, encoded into a `Call`.
public protocol ModuleCall: CanonicalCodable, Sendable {
    static var module: ModuleID { get }
}

extension ModuleCall {
    public var call: Call { Call(module: Self.module, body: canonicalBytes) }
}

/// A module's typed event, encoded into an `Event`.
public protocol ModuleEvent: CanonicalCodable, Sendable, Equatable {
    static var module: ModuleID { get }
}

extension ModuleEvent {
    public var event: Event { Event(module: Self.module, body: canonicalBytes) }

    /// The typed event inside `event`, or `nil` if it belongs to another module or is malformed.
    public init?(_ event: Event) {
        guard event.module == Self.module, let decoded = try? Self(canonicalBytes: event.body) else { return nil }
        self = decoded
    }
}
