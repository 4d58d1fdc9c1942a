import DMLCore

/// Why a genesis spec cannot start a chain.
public enum GenesisError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingModule(ModuleID)
    case unknownModuleVersion(ModuleID, version: UInt32)
    case duplicateModule(ModuleID)
    case noSuperAdmin
    case allocation(account: AccountID, BalancesError)

    public var description: String {
        switch self {
        case .missingModule(let module): "genesis must include the \(module) module"
        case let .unknownModuleVersion(module, version): "genesis names \(module) version \(version), which this software lacks"
        case .duplicateModule(let module): "genesis lists \(module) twice"
        case .noSuperAdmin: "genesis must name at least one super-admin"
        case let .allocation(account, error): "genesis allocation to \(account) fails: \(error)"
        }
    }
}

/// Why a block does not follow from the ledger it was replayed on: exactly which check failed,
/// at which height, with the expected and the found value.
public enum BlockError: Error, Equatable, Sendable, CustomStringConvertible {
    case wrongChain(height: UInt64, expected: Hash256, found: Hash256)
    case heightMismatch(expected: UInt64, found: UInt64)
    case previousHashMismatch(height: UInt64, expected: Hash256, found: Hash256)
    case timestampBeforeParent(height: UInt64, parent: UInt64, found: UInt64)
    case countMismatch(height: UInt64, what: String, header: UInt32, body: Int)
    case tooManyTransactions(height: UInt64, count: Int, max: Int)
    case transactionsRootMismatch(height: UInt64, header: Hash256, computed: Hash256)
    case invalidTransaction(height: UInt64, index: Int, TransactionError)
    case eventsMismatch(height: UInt64, firstDifference: Int)
    case eventsRootMismatch(height: UInt64, header: Hash256, computed: Hash256)
    case stateRootMismatch(height: UInt64, header: Hash256, computed: Hash256)

    public var height: UInt64 {
        switch self {
        case .wrongChain(let height, _, _), .previousHashMismatch(let height, _, _),
             .timestampBeforeParent(let height, _, _), .countMismatch(let height, _, _, _),
             .tooManyTransactions(let height, _, _), .transactionsRootMismatch(let height, _, _),
             .invalidTransaction(let height, _, _), .eventsMismatch(let height, _),
             .eventsRootMismatch(let height, _, _), .stateRootMismatch(let height, _, _):
            height
        case .heightMismatch(_, let found): found
        }
    }

    public var description: String {
        switch self {
        case let .wrongChain(height, expected, found):
            "block \(height) belongs to chain \(found.short), expected \(expected.short)"
        case let .heightMismatch(expected, found): "expected block \(expected), found block \(found)"
        case let .previousHashMismatch(height, expected, found):
            "block \(height) names previous hash \(found.short), but block \(height - 1) hashes to \(expected.short)"
        case let .timestampBeforeParent(height, parent, found):
            "block \(height) has timestamp \(found) ms, before its parent's \(parent) ms"
        case let .countMismatch(height, what, header, body):
            "block \(height) header counts \(header) \(what), its body has \(body)"
        case let .tooManyTransactions(height, count, max): "block \(height) has \(count) transactions, at most \(max) allowed"
        case let .transactionsRootMismatch(height, header, computed):
            "block \(height) transactions root is \(header.short) in the header, \(computed.short) from its transactions"
        case let .invalidTransaction(height, index, error): "block \(height) transaction \(index) is invalid: \(error)"
        case let .eventsMismatch(height, index): "block \(height) event \(index) differs from what re-execution emits"
        case let .eventsRootMismatch(height, header, computed):
            "block \(height) events root is \(header.short) in the header, \(computed.short) from its events"
        case let .stateRootMismatch(height, header, computed):
            "block \(height) state root is \(header.short) in the header, re-execution gives \(computed.short)"
        }
    }
}
