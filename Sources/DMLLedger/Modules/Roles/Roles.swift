import DMLCore

/// Roles: who may do what.
///
/// Calls (tags):
/// - `0 grant(role, to)` — a super-admin (any role); a moderator (`moderator`); a provider
///   (`clusterManagerTrustedBy(itself)`).
/// - `1 revoke(role, from)` — whoever could grant it, or the holder renouncing its own role.
///
/// A super-admin holds every role except trust, which only a provider gives. The last
/// super-admin cannot be removed, or nobody could ever upgrade the chain again.
///
/// Invariant: the super-admin count equals the number of super-admin grants and is at least 1.
public enum Roles {
    /// (role, holder) → present.
    static let grants = StorageMap<RoleGrant, Unit>(module: .roles, map: 0)
    static let superAdminCount = StorageMap<Unit, UInt64>(module: .roles, map: 1)

    /// Whether `account` holds `role`, directly or as a super-admin.
    public static func has(_ role: Role, _ account: AccountID, in context: CallContext) -> Bool {
        if holdsDirectly(role, account, in: context) { return true }
        if case .clusterManagerTrustedBy = role { return false }
        return holdsDirectly(.superAdmin, account, in: context)
    }

    static func holdsDirectly(_ role: Role, _ account: AccountID, in context: CallContext) -> Bool {
        context.get(grants, RoleGrant(role: role, holder: account)) != nil
    }

    /// Whether `actor` may grant or revoke `role` for others.
    static func mayAdminister(_ role: Role, actor: AccountID, in context: CallContext) -> Bool {
        if holdsDirectly(.superAdmin, actor, in: context) { return true }
        switch role {
        case .moderator: return holdsDirectly(.moderator, actor, in: context)
        case .clusterManagerTrustedBy(let provider): return provider == actor
        case .superAdmin, .setExchangeRate, .validator: return false
        }
    }

    /// Grants a role without any permission check (genesis only).
    static func grantAtGenesis(_ role: Role, to holder: AccountID, context: inout CallContext) {
        guard !holdsDirectly(role, holder, in: context) else { return }
        context.set(grants, RoleGrant(role: role, holder: holder), Unit())
        if role == .superAdmin { context.set(superAdminCount, Unit(), (context.get(superAdminCount, Unit()) ?? 0) + 1) }
        context.emit(RolesEvent.granted(role: role, to: holder, by: nil))
    }
}

/// The calls of the Roles module.
public enum RolesCall: ModuleCall, Hashable {
    case grant(Role, to: AccountID)
    case revoke(Role, from: AccountID)

    public static let module = ModuleID.roles

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .grant(role, to):
            writer.write(UInt8(0))
            writer.write(role)
            writer.write(to)
        case let .revoke(role, from):
            writer.write(UInt8(1))
            writer.write(role)
            writer.write(from)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("call tag") {
        case 0: self = .grant(try reader.read(), to: try reader.read())
        case 1: self = .revoke(try reader.read(), from: try reader.read())
        case let tag: throw .unknownTag(field: "roles call", offset: start, tag: UInt64(tag))
        }
    }
}

/// What the Roles module reports. `by` is `nil` for grants made at genesis.
public enum RolesEvent: ModuleEvent, Hashable {
    case granted(role: Role, to: AccountID, by: AccountID?)
    case revoked(role: Role, from: AccountID, by: AccountID)

    public static let module = ModuleID.roles

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .granted(role, to, by):
            writer.write(UInt8(0))
            writer.write(role)
            writer.write(to)
            writer.write(by)
        case let .revoked(role, from, by):
            writer.write(UInt8(1))
            writer.write(role)
            writer.write(from)
            writer.write(by)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("event tag") {
        case 0: self = .granted(role: try reader.read(), to: try reader.read(), by: try reader.readOptional(AccountID.self, "by"))
        case 1: self = .revoked(role: try reader.read(), from: try reader.read(), by: try reader.read())
        case let tag: throw .unknownTag(field: "roles event", offset: start, tag: UInt64(tag))
        }
    }
}

/// Why the Roles module refused a call.
public enum RolesError: RejectionReason {
    /// The caller may not grant or revoke this role.
    case notAllowed(role: Role, actor: AccountID)
    case alreadyHeld(role: Role, account: AccountID)
    case notHeld(role: Role, account: AccountID)
    /// Revoking would leave the chain without a super-admin.
    case lastSuperAdmin

    public var code: String {
        switch self {
        case .notAllowed: "roles.not_allowed"
        case .alreadyHeld: "roles.already_held"
        case .notHeld: "roles.not_held"
        case .lastSuperAdmin: "roles.last_super_admin"
        }
    }

    public var description: String {
        switch self {
        case let .notAllowed(role, actor): "\(actor) may not grant or revoke \(role)"
        case let .alreadyHeld(role, account): "\(account) already holds \(role)"
        case let .notHeld(role, account): "\(account) does not hold \(role)"
        case .lastSuperAdmin: "the last super-admin cannot be revoked; grant another first"
        }
    }
}

/// Roles version 1.
public struct RolesV1: ModuleLogic {
    public var module: ModuleID { .roles }
    public var version: UInt32 { 1 }
    public init() {}

    public func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        let call = try decode(RolesCall.self, body)
        do {
            switch call {
            case let .grant(role, to): try grant(role, to: to, by: origin, context: &context)
            case let .revoke(role, from): try revoke(role, from: from, by: origin, context: &context)
            }
        } catch {
            throw .roles(error)
        }
    }

    /// - Throws (in order): `.notAllowed`, `.alreadyHeld`. Emits `.granted`.
    func grant(_ role: Role, to holder: AccountID, by actor: AccountID, context: inout CallContext) throws(RolesError) {
        guard Roles.mayAdminister(role, actor: actor, in: context) else { throw .notAllowed(role: role, actor: actor) }
        guard !Roles.holdsDirectly(role, holder, in: context) else { throw .alreadyHeld(role: role, account: holder) }
        context.set(Roles.grants, RoleGrant(role: role, holder: holder), Unit())
        if role == .superAdmin { context.set(Roles.superAdminCount, Unit(), count(in: context) + 1) }
        context.emit(RolesEvent.granted(role: role, to: holder, by: actor))
    }

    /// - Throws (in order): `.notAllowed`, `.notHeld`, `.lastSuperAdmin`. Emits `.revoked`.
    func revoke(_ role: Role, from holder: AccountID, by actor: AccountID, context: inout CallContext) throws(RolesError) {
        guard actor == holder || Roles.mayAdminister(role, actor: actor, in: context) else {
            throw .notAllowed(role: role, actor: actor)
        }
        guard Roles.holdsDirectly(role, holder, in: context) else { throw .notHeld(role: role, account: holder) }
        if role == .superAdmin {
            guard count(in: context) > 1 else { throw .lastSuperAdmin }
            context.set(Roles.superAdminCount, Unit(), count(in: context) - 1)
        }
        context.set(Roles.grants, RoleGrant(role: role, holder: holder), nil)
        context.emit(RolesEvent.revoked(role: role, from: holder, by: actor))
    }

    private func count(in context: CallContext) -> UInt64 { context.get(Roles.superAdminCount, Unit()) ?? 0 }

    public func invariantViolations(in context: CallContext) -> [String] {
        let admins = context.entries(Roles.grants).filter { $0.0.role == .superAdmin }.count
        let counted = count(in: context)
        var problems: [String] = []
        if UInt64(admins) != counted { problems.append("super-admin count \(counted) but \(admins) grants") }
        if admins == 0 { problems.append("no super-admin left") }
        return problems
    }
}
