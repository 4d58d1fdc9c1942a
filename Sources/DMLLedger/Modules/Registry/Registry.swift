import DMLCore

/// Registry: which modules exist on this chain and which logic version each runs, and when
/// that changes (seed 000 `DmlExternalStorage` + `DmlUpgrade`).
///
/// Module state lives in the one namespaced key space, apart from the code; a module's
/// namespace is writable only while the registry lists the module as active. An upgrade
/// switches a module's logic version — or adds a new module — from a given future height, so
/// stored data is never migrated by hand and replay runs each block with the logic that was
/// active at its height.
///
/// Calls (tags), both super-admin only:
/// - `0 scheduleUpgrade(module, version, fromHeight)`
/// - `1 cancelUpgrade(module)`
///
/// Activations happen at the start of the block at `fromHeight`, before its transactions.
public enum Registry {
    /// The whole table in one entry: it is small and read at the start of every block.
    static let table = StorageMap<Unit, [ModuleRecord]>(module: .registry, map: 0)

    /// Module → active version, as of the current state.
    public static func activeModules(in context: CallContext) -> [ModuleID: UInt32] {
        var active: [ModuleID: UInt32] = [:]
        for record in records(in: context) {
            if let version = record.version { active[record.module] = version }
        }
        return active
    }

    public static func records(in context: CallContext) -> [ModuleRecord] { context.get(table, Unit()) ?? [] }

    static func store(_ records: [ModuleRecord], context: inout CallContext) {
        context.set(table, Unit(), records.sorted { $0.module < $1.module })
    }

    /// Activates every upgrade due at the current height; runs at the start of each block.
    static func activateDueUpgrades(context: inout CallContext) {
        var records = records(in: context)
        var changed = false
        for index in records.indices {
            guard let pending = records[index].pending, pending.fromHeight <= context.height else { continue }
            records[index] = ModuleRecord(
                module: records[index].module, version: pending.version, activeSince: context.height, pending: nil)
            context.emit(RegistryEvent.activated(module: records[index].module, version: pending.version, height: context.height))
            changed = true
        }
        if changed { store(records, context: &context) }
    }

    /// Registers the genesis modules (genesis only).
    static func registerAtGenesis(_ modules: [ChainSpec.ModuleVersion], context: inout CallContext) {
        let records = modules.map { ModuleRecord(module: $0.module, version: $0.version, activeSince: 0, pending: nil) }
        store(records, context: &context)
        for module in modules {
            context.emit(RegistryEvent.activated(module: module.module, version: module.version, height: 0))
        }
    }
}

/// One module's entry in the registry.
public struct ModuleRecord: Hashable, Sendable, CanonicalCodable {
    /// A version switch that takes effect at the start of block `fromHeight`.
    public struct PendingUpgrade: Hashable, Sendable, CanonicalCodable {
        public let version: UInt32
        public let fromHeight: UInt64

        public func encode(to writer: inout ByteWriter) {
            writer.write(version)
            writer.write(fromHeight)
        }

        public init(version: UInt32, fromHeight: UInt64) {
            self.version = version
            self.fromHeight = fromHeight
        }

        public init(from reader: inout ByteReader) throws(DecodingError) {
            version = try reader.readUInt32("version")
            fromHeight = try reader.readUInt64("height")
        }
    }

    public let module: ModuleID
    /// The active logic version; `nil` for a module scheduled to be added but not active yet.
    public let version: UInt32?
    public let activeSince: UInt64
    public let pending: PendingUpgrade?

    public func encode(to writer: inout ByteWriter) {
        writer.write(module)
        writer.write(version)
        writer.write(activeSince)
        writer.write(pending)
    }

    public init(module: ModuleID, version: UInt32?, activeSince: UInt64, pending: PendingUpgrade?) {
        self.module = module
        self.version = version
        self.activeSince = activeSince
        self.pending = pending
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        module = try reader.read()
        version = try reader.readOptional(UInt32.self, "version")
        activeSince = try reader.readUInt64("active since")
        pending = try reader.readOptional(PendingUpgrade.self, "pending")
    }
}
