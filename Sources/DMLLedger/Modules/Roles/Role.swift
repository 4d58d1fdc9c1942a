import DMLCore

/// A permission an account can hold (seed 000 `DmlBase` moderators; seed 004 permissions).
public enum Role: Hashable, Sendable, CanonicalCodable, CustomStringConvertible {
    /// Grants and revokes every role, schedules module upgrades; implies every role except trust.
    case superAdmin
    /// Reviews algorithms, resolves disputes; moderators may grant and revoke `moderator`.
    case moderator
    /// The holder may add nodes of `provider` to its clusters; only `provider` (or a super-admin)
    /// grants or revokes it.
    case clusterManagerTrustedBy(provider: AccountID)
    /// May set the storage network's exchange rate.
    case setExchangeRate
    /// Validates work and usage reports.
    case validator

    public var description: String {
        switch self {
        case .superAdmin: "super-admin"
        case .moderator: "moderator"
        case .clusterManagerTrustedBy(let provider): "cluster-manager-trusted-by(\(provider))"
        case .setExchangeRate: "set-exchange-rate"
        case .validator: "validator"
        }
    }

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case .superAdmin: writer.write(UInt8(0))
        case .moderator: writer.write(UInt8(1))
        case .clusterManagerTrustedBy(let provider):
            writer.write(UInt8(2))
            writer.write(provider)
        case .setExchangeRate: writer.write(UInt8(3))
        case .validator: writer.write(UInt8(4))
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("role tag") {
        case 0: self = .superAdmin
        case 1: self = .moderator
        case 2: self = .clusterManagerTrustedBy(provider: try reader.read())
        case 3: self = .setExchangeRate
        case 4: self = .validator
        case let tag: throw .unknownTag(field: "role", offset: start, tag: UInt64(tag))
        }
    }
}

/// The key of one grant: the role, then the holder.
struct RoleGrant: Hashable, Sendable, CanonicalCodable {
    let role: Role
    let holder: AccountID

    func encode(to writer: inout ByteWriter) {
        writer.write(role)
        writer.write(holder)
    }

    init(role: Role, holder: AccountID) {
        self.role = role
        self.holder = holder
    }

    init(from reader: inout ByteReader) throws(DecodingError) {
        role = try reader.read()
        holder = try reader.read()
    }
}
