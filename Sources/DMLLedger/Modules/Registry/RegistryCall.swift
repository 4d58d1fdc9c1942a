import DMLCore

/// The calls of the Registry module.
public enum RegistryCall: ModuleCall, Hashable {
    /// Switch `module` to logic `version` (or add it) from the start of block `fromHeight`.
    case scheduleUpgrade(module: ModuleID, version: UInt32, fromHeight: UInt64)
    /// Withdraw `module`'s pending upgrade.
    case cancelUpgrade(module: ModuleID)

    public static let module = ModuleID.registry

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .scheduleUpgrade(module, version, fromHeight):
            writer.write(UInt8(0))
            writer.write(module)
            writer.write(version)
            writer.write(fromHeight)
        case let .cancelUpgrade(module):
            writer.write(UInt8(1))
            writer.write(module)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("call tag") {
        case 0:
            self = .scheduleUpgrade(module: try reader.read(), version: try reader.readUInt32("version"),
                                    fromHeight: try reader.readUInt64("height"))
        case 1: self = .cancelUpgrade(module: try reader.read())
        case let tag: throw .unknownTag(field: "registry call", offset: start, tag: UInt64(tag))
        }
    }
}

/// What the Registry module reports.
public enum RegistryEvent: ModuleEvent, Hashable {
    case upgradeScheduled(module: ModuleID, version: UInt32, fromHeight: UInt64, by: AccountID)
    case upgradeCancelled(module: ModuleID, version: UInt32, by: AccountID)
    /// A module's logic version became active (at genesis or by an upgrade).
    case activated(module: ModuleID, version: UInt32, height: UInt64)

    public static let module = ModuleID.registry

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .upgradeScheduled(module, version, fromHeight, by):
            writer.write(UInt8(0))
            writer.write(module)
            writer.write(version)
            writer.write(fromHeight)
            writer.write(by)
        case let .upgradeCancelled(module, version, by):
            writer.write(UInt8(1))
            writer.write(module)
            writer.write(version)
            writer.write(by)
        case let .activated(module, version, height):
            writer.write(UInt8(2))
            writer.write(module)
            writer.write(version)
            writer.write(height)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("event tag") {
        case 0:
            self = .upgradeScheduled(module: try reader.read(), version: try reader.readUInt32("version"),
                                     fromHeight: try reader.readUInt64("height"), by: try reader.read())
        case 1: self = .upgradeCancelled(module: try reader.read(), version: try reader.readUInt32("version"), by: try reader.read())
        case 2: self = .activated(module: try reader.read(), version: try reader.readUInt32("version"), height: try reader.readUInt64("height"))
        case let tag: throw .unknownTag(field: "registry event", offset: start, tag: UInt64(tag))
        }
    }
}

/// Why the Registry module refused a call.
public enum RegistryError: RejectionReason {
    case notSuperAdmin(AccountID)
    /// This software has no such logic version for the module.
    case unknownVersion(module: ModuleID, version: UInt32)
    /// Upgrades take effect from a future block only.
    case heightNotInFuture(requested: UInt64, current: UInt64)
    case alreadyActive(module: ModuleID, version: UInt32)
    /// One pending upgrade per module; cancel it first.
    case upgradeAlreadyScheduled(module: ModuleID, version: UInt32, fromHeight: UInt64)
    case nothingScheduled(module: ModuleID)

    public var code: String {
        switch self {
        case .notSuperAdmin: "registry.not_super_admin"
        case .unknownVersion: "registry.unknown_version"
        case .heightNotInFuture: "registry.height_not_in_future"
        case .alreadyActive: "registry.already_active"
        case .upgradeAlreadyScheduled: "registry.upgrade_already_scheduled"
        case .nothingScheduled: "registry.nothing_scheduled"
        }
    }

    public var description: String {
        switch self {
        case .notSuperAdmin(let account): "\(account) is not a super-admin"
        case let .unknownVersion(module, version): "no logic version \(version) of \(module) exists in this software"
        case let .heightNotInFuture(requested, current):
            "an upgrade must start after the current block \(current), asked for \(requested)"
        case let .alreadyActive(module, version): "\(module) already runs version \(version)"
        case let .upgradeAlreadyScheduled(module, version, fromHeight):
            "\(module) already has version \(version) scheduled from \(fromHeight); cancel it first"
        case .nothingScheduled(let module): "\(module) has no scheduled upgrade"
        }
    }
}

/// Registry version 1.
public struct RegistryV1: ModuleLogic {
    public var module: ModuleID { .registry }
    public var version: UInt32 { 1 }
    public init() {}

    public func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        let call = try decode(RegistryCall.self, body)
        do {
            switch call {
            case let .scheduleUpgrade(module, version, fromHeight):
                try schedule(module, version: version, fromHeight: fromHeight, by: origin, context: &context)
            case let .cancelUpgrade(module): try cancel(module, by: origin, context: &context)
            }
        } catch {
            throw .registry(error)
        }
    }

    /// - Throws (in order): `.notSuperAdmin`, `.unknownVersion`, `.heightNotInFuture`,
    ///   `.alreadyActive`, `.upgradeAlreadyScheduled`. Emits `.upgradeScheduled`.
    func schedule(_ module: ModuleID, version: UInt32, fromHeight: UInt64, by actor: AccountID,
                  context: inout CallContext) throws(RegistryError) {
        guard Roles.has(.superAdmin, actor, in: context) else { throw .notSuperAdmin(actor) }
        guard context.catalog.logic(module, version: version) != nil else {
            throw .unknownVersion(module: module, version: version)
        }
        guard fromHeight > context.height else { throw .heightNotInFuture(requested: fromHeight, current: context.height) }
        var records = Registry.records(in: context)
        let existing = records.firstIndex { $0.module == module }
        if let existing {
            let record = records[existing]
            guard record.version != version else { throw .alreadyActive(module: module, version: version) }
            if let pending = record.pending {
                throw .upgradeAlreadyScheduled(module: module, version: pending.version, fromHeight: pending.fromHeight)
            }
        }
        let pending = ModuleRecord.PendingUpgrade(version: version, fromHeight: fromHeight)
        let updated = existing.map { ModuleRecord(module: module, version: records[$0].version,
                                                  activeSince: records[$0].activeSince, pending: pending) }
            ?? ModuleRecord(module: module, version: nil, activeSince: 0, pending: pending)
        if let existing { records[existing] = updated } else { records.append(updated) }
        Registry.store(records, context: &context)
        context.emit(RegistryEvent.upgradeScheduled(module: module, version: version, fromHeight: fromHeight, by: actor))
    }

    /// - Throws (in order): `.notSuperAdmin`, `.nothingScheduled`. Emits `.upgradeCancelled`.
    func cancel(_ module: ModuleID, by actor: AccountID, context: inout CallContext) throws(RegistryError) {
        guard Roles.has(.superAdmin, actor, in: context) else { throw .notSuperAdmin(actor) }
        var records = Registry.records(in: context)
        guard let index = records.firstIndex(where: { $0.module == module }), let pending = records[index].pending else {
            throw .nothingScheduled(module: module)
        }
        let record = records[index]
        if record.version == nil {
            records.remove(at: index)
        } else {
            records[index] = ModuleRecord(module: module, version: record.version, activeSince: record.activeSince, pending: nil)
        }
        Registry.store(records, context: &context)
        context.emit(RegistryEvent.upgradeCancelled(module: module, version: pending.version, by: actor))
    }

    public func invariantViolations(in context: CallContext) -> [String] {
        Registry.records(in: context).compactMap { record in
            guard let version = record.version, context.catalog.logic(record.module, version: version) == nil else { return nil }
            return "\(record.module) runs version \(version), which this software lacks"
        }
    }
}
