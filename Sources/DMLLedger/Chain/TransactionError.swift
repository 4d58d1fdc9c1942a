import DMLCore

/// A module's typed rejection: a stable code for machines and a message that says how to fix it.
public protocol RejectionReason: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable, never renamed or reused: `module.snake_case`.
    var code: String { get }
}

/// Why the ledger refused a transaction. A refused transaction changes nothing, is not put in
/// a block, and does not use up its nonce.
///
/// Cases are listed in the order they are checked.
public enum TransactionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes are not a canonical transaction.
    case malformed(DecodingError)
    /// Signed for another chain (another genesis).
    case wrongChain(expected: Hash256, got: Hash256)
    /// The signature does not match the payload and signer.
    case badSignature(signer: AccountID)
    /// The nonce was already used: a replay.
    case nonceAlreadyUsed(signer: AccountID, expected: UInt64, got: UInt64)
    /// The nonce skips ahead: transactions must be sent in order, one nonce after another.
    case nonceTooHigh(signer: AccountID, expected: UInt64, got: UInt64)
    /// The call names a module that is not active at this height.
    case moduleNotActive(ModuleID)
    /// This software does not contain the logic version the chain has active for the module.
    case moduleLogicMissing(ModuleID, version: UInt32)
    /// The call body could not be decoded by the module's active version.
    case malformedCall(ModuleID, DecodingError)
    /// The module's active version has no call with this tag.
    case unknownCall(ModuleID, version: UInt32, tag: UInt8)
    /// The transaction's events do not fit in this block (at most `Block.eventCountMax`);
    /// resend it: it will go into a later block.
    case blockFull(events: Int, room: Int)
    case balances(BalancesError)
    case roles(RolesError)
    case registry(RegistryError)
    case vouchers(VouchersError)
    case marketplace(MarketplaceError)
    case bounties(BountiesError)
    case tasks(TasksError)
    case jobs(JobsError)
    case federated(FederatedError)
    case privacy(PrivacyError)
    case storage(StorageError)
    /// A rejection by a module that is not built in (tests, experiments).
    case other(module: ModuleID, code: String, message: String)

    /// Stable machine-readable code, e.g. `tx.nonce_already_used` or `balances.insufficient_balance`.
    public var code: String {
        switch self {
        case .malformed: "tx.malformed"
        case .wrongChain: "tx.wrong_chain"
        case .badSignature: "tx.bad_signature"
        case .nonceAlreadyUsed: "tx.nonce_already_used"
        case .nonceTooHigh: "tx.nonce_too_high"
        case .moduleNotActive: "tx.module_not_active"
        case .moduleLogicMissing: "tx.module_logic_missing"
        case .malformedCall: "tx.malformed_call"
        case .unknownCall: "tx.unknown_call"
        case .blockFull: "tx.block_full"
        case .balances(let reason): reason.code
        case .roles(let reason): reason.code
        case .registry(let reason): reason.code
        case .vouchers(let reason): reason.code
        case .marketplace(let reason): reason.code
        case .bounties(let reason): reason.code
        case .tasks(let reason): reason.code
        case .jobs(let reason): reason.code
        case .federated(let reason): reason.code
        case .privacy(let reason): reason.code
        case .storage(let reason): reason.code
        case .other(_, let code, _): code
        }
    }

    public var description: String {
        switch self {
        case .malformed(let error): "malformed transaction: \(error)"
        case let .wrongChain(expected, got):
            "transaction is for chain \(got.short), this ledger is chain \(expected.short)"
        case .badSignature(let signer): "signature is not valid for signer \(signer)"
        case let .nonceAlreadyUsed(signer, expected, got):
            "nonce \(got) of \(signer) was already used (replay); the next nonce is \(expected)"
        case let .nonceTooHigh(signer, expected, got):
            "nonce \(got) of \(signer) skips ahead; the next nonce is \(expected)"
        case .moduleNotActive(let module): "module \(module) is not active at this height"
        case let .moduleLogicMissing(module, version):
            "this software lacks version \(version) of module \(module); upgrade the software"
        case let .malformedCall(module, error): "malformed \(module) call: \(error)"
        case let .unknownCall(module, version, tag): "\(module) version \(version) has no call with tag \(tag)"
        case let .blockFull(events, room): "the transaction emits \(events) events, the block has room for \(room); resend it"
        case .balances(let reason): reason.description
        case .roles(let reason): reason.description
        case .registry(let reason): reason.description
        case .vouchers(let reason): reason.description
        case .marketplace(let reason): reason.description
        case .bounties(let reason): reason.description
        case .tasks(let reason): reason.description
        case .jobs(let reason): reason.description
        case .federated(let reason): reason.description
        case .privacy(let reason): reason.description
        case .storage(let reason): reason.description
        case .other(_, _, let message): message
        }
    }
}
