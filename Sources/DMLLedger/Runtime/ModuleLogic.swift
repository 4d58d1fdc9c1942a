import DMLCore

/// One version of one module's logic: it decodes the call body and runs the call.
///
/// A version is never changed once a chain has used it: a different rule is a new version,
/// switched on from a given height by an upgrade transaction, so replaying old blocks always
/// runs the logic that produced them.
public protocol ModuleLogic: Sendable {
    var module: ModuleID { get }
    var version: UInt32 { get }
    /// Runs a call. Every check happens before the first write; a thrown rejection makes the
    /// ledger drop all writes and events of the transaction anyway.
    func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError)
    /// Broken invariants of this module's state, described; empty when all hold.
    func invariantViolations(in context: CallContext) -> [String]
}

extension ModuleLogic {
    public func invariantViolations(in context: CallContext) -> [String] { [] }
}

/// Every module logic version this software contains, by module and version.
public struct ModuleCatalog: Sendable {
    private var logics: [ModuleID: [UInt32: any ModuleLogic]] = [:]

    public init(_ logics: [any ModuleLogic]) {
        for logic in logics {
            precondition(self.logics[logic.module]?[logic.version] == nil, "duplicate \(logic.module) v\(logic.version)")
            self.logics[logic.module, default: [:]][logic.version] = logic
        }
    }

    /// The built-in modules, every version.
    public static let standard = ModuleCatalog([
        RegistryV1(), RolesV1(), BalancesV1(), BalancesV2(), VouchersV1(), MarketplaceV1(), MarketplaceV2(), BountiesV1(), TasksV1(), TasksV2(), StorageV1(), JobsV1(), FederatedV1(), PrivacyV1(),
    ])

    public func logic(_ module: ModuleID, version: UInt32) -> (any ModuleLogic)? { logics[module]?[version] }


    /// A catalog with `extra` versions added (tests and experiments).
    public func adding(_ extra: [any ModuleLogic]) -> ModuleCatalog {
        var copy = self
        for logic in extra { copy.logics[logic.module, default: [:]][logic.version] = logic }
        return copy
    }
}

extension ModuleLogic {
    /// Decodes a call body into the module's typed call: an unknown leading tag is
    /// `unknownCall`, anything else that does not decode is `malformedCall`.
    public func decode<Body: ModuleCall>(_ type: Body.Type, _ body: [UInt8]) throws(TransactionError) -> Body {
        do {
            return try Body(canonicalBytes: body)
        } catch {
            if case let .unknownTag(_, offset, tag) = error, offset == 0 {
                throw .unknownCall(module, version: version, tag: UInt8(truncatingIfNeeded: tag))
            }
            throw .malformedCall(module, error)
        }
    }
}
