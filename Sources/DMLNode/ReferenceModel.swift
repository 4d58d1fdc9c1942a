import DMLCore
import DMLLedger

/// A deliberately naive model of the ledger's rules — plain dictionaries, no modules, no
/// encoding — that predicts the outcome of every simulated transaction. If the ledger and the
/// model ever disagree, one of them is wrong, and the seed reproduces it.
struct ReferenceModel {
    var free: [AccountID: UInt64] = [:]
    var nonces: [AccountID: UInt64] = [:]
    var issuance: UInt64 = 0
    var superAdmins: Set<AccountID> = []
    var moderators: Set<AccountID> = []
    let faucetMax: UInt64
    let isDevelopment: Bool

    init(spec: ChainSpec) {
        faucetMax = spec.faucetAmountMax.baseUnits
        isDevelopment = spec.isDevelopment
        for allocation in spec.allocations {
            free[allocation.account, default: 0] += allocation.amount.baseUnits
            issuance += allocation.amount.baseUnits
        }
        superAdmins = Set(spec.superAdmins)
    }

    func nonce(_ account: AccountID) -> UInt64 { nonces[account] ?? 0 }

    /// What the ledger must answer: `nil` for accepted, else the rejection code. Applies the
    /// effects of an accepted transaction to the model.
    mutating func predict(_ action: SimulatedAction) -> String? {
        switch action {
        case .badSignature: return "tx.bad_signature"
        case .wrongChain: return "tx.wrong_chain"
        case .replay: return "tx.nonce_already_used"
        case .futureNonce: return "tx.nonce_too_high"
        case .unknownModule: return "tx.module_not_active"
        case .unknownCallTag: return "tx.unknown_call"
        case .truncatedCall: return "tx.malformed_call"
        case let .transfer(from, to, amount):
            if amount == 0 { return "balances.zero_amount" }
            if from == to { return "balances.transfer_to_self" }
            let available = free[from] ?? 0
            guard amount <= available else { return "balances.insufficient_balance" }
            guard (free[to] ?? 0).addingReportingOverflow(amount).overflow == false else { return "balances.balance_overflow" }
            free[from] = available - amount
            free[to, default: 0] += amount
        case let .faucet(account, amount):
            guard isDevelopment else { return "balances.faucet_disabled" }
            guard amount <= faucetMax else { return "balances.faucet_amount_too_large" }
            guard issuance.addingReportingOverflow(amount).overflow == false else { return "balances.issuance_overflow" }
            guard (free[account] ?? 0).addingReportingOverflow(amount).overflow == false else { return "balances.balance_overflow" }
            issuance += amount
            free[account, default: 0] += amount
        case let .grantModerator(by, to):
            guard superAdmins.contains(by) || moderators.contains(by) else { return "roles.not_allowed" }
            guard !moderators.contains(to) else { return "roles.already_held" }
            moderators.insert(to)
        case let .revokeModerator(by, from):
            guard by == from || superAdmins.contains(by) || moderators.contains(by) else { return "roles.not_allowed" }
            guard moderators.contains(from) else { return "roles.not_held" }
            moderators.remove(from)
        }
        if let signer = action.signer { nonces[signer, default: 0] += 1 }
        return nil
    }
}

/// One thing a simulated account tries to do, valid or not.
enum SimulatedAction: CustomStringConvertible {
    case transfer(from: AccountID, to: AccountID, amount: UInt64)
    case faucet(AccountID, amount: UInt64)
    case grantModerator(by: AccountID, to: AccountID)
    case revokeModerator(by: AccountID, from: AccountID)
    case badSignature(AccountID)
    case wrongChain(AccountID)
    case replay(SignedTransaction)
    case futureNonce(AccountID, skip: UInt64)
    case unknownModule(AccountID)
    case unknownCallTag(AccountID)
    case truncatedCall(AccountID)

    /// The account whose nonce advances if the action is accepted.
    var signer: AccountID? {
        switch self {
        case .transfer(let from, _, _): from
        case .faucet(let account, _): account
        case .grantModerator(let by, _), .revokeModerator(let by, _): by
        default: nil
        }
    }

    var description: String {
        switch self {
        case let .transfer(from, to, amount): "transfer \(amount) from \(from.address.prefix(12)) to \(to.address.prefix(12))"
        case let .faucet(account, amount): "faucet \(amount) to \(account.address.prefix(12))"
        case let .grantModerator(by, to): "grant moderator by \(by.address.prefix(12)) to \(to.address.prefix(12))"
        case let .revokeModerator(by, from): "revoke moderator by \(by.address.prefix(12)) from \(from.address.prefix(12))"
        case .badSignature: "bad signature"
        case .wrongChain: "wrong chain"
        case .replay: "replay"
        case let .futureNonce(_, skip): "nonce skipping \(skip)"
        case .unknownModule: "unknown module"
        case .unknownCallTag: "unknown call tag"
        case .truncatedCall: "truncated call"
        }
    }
}
