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
    // Marketplace algorithm 1, voucher hub 1, task 1 and bounty 1 (created by the setup actions).
    var algorithm: (creator: AccountID, price: UInt64, active: Bool, buyers: Set<AccountID>, proceeds: UInt64)?
    var hub: (issuer: AccountID, feePercent: UInt64, balance: UInt64, lastNonces: [AccountID: UInt64])?
    var task: (creator: AccountID, reward: UInt64, max: Int, workers: [AccountID: Bool], held: UInt64)?  // worker → result sent
    var bounty: (owner: AccountID, funded: UInt64, open: Bool, participants: Set<AccountID>)?

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
        default:
            if case .some(.some(let rejection)) = predictMarketplace(action) { return rejection }
        }
        if let signer = action.signer { nonces[signer, default: 0] += 1 }
        return nil
    }

    /// Moves `amount` of `account`'s free balance into an escrow; `false` if it lacks it.
    private mutating func escrow(_ amount: UInt64, from account: AccountID) -> Bool {
        guard (free[account] ?? 0) >= amount else { return false }
        free[account, default: 0] -= amount
        return true
    }

    /// The marketplace modules' actions: `.some(nil)` accepted (effects applied), `.some(code)`
    /// the expected rejection, `nil` not a marketplace action.
    private mutating func predictMarketplace(_ action: SimulatedAction) -> String?? {
        switch action {
        case let .publishAlgorithm(creator, price):
            algorithm = (creator, price, false, [], 0)
        case .approveAlgorithm(let by):
            guard superAdmins.contains(by) || moderators.contains(by) else { return .some("marketplace.not_moderator") }
            algorithm?.active = true
        case .purchase(let buyer):
            guard let current = algorithm else { return .some("marketplace.unknown_algorithm") }
            guard current.active else { return .some("marketplace.not_for_sale") }
            guard current.creator != buyer else { return .some("marketplace.own_algorithm") }
            guard !current.buyers.contains(buyer) else { return .some("marketplace.already_purchased") }
            guard escrow(current.price, from: buyer) else { return .some("balances.insufficient_balance") }
            algorithm?.buyers.insert(buyer)
            algorithm?.proceeds += current.price
        case .withdrawProceeds(let by):
            guard let current = algorithm else { return .some("marketplace.unknown_algorithm") }
            guard current.creator == by else { return .some("marketplace.not_creator") }
            guard current.proceeds > 0 else { return .some("marketplace.no_proceeds") }
            free[by, default: 0] += current.proceeds
            algorithm?.proceeds = 0
        case let .openHub(issuer, feePercent):
            hub = (issuer, feePercent, 0, [:])
        case let .fundHub(by, amount):
            guard escrow(amount, from: by) else { return .some("balances.insufficient_balance") }
            hub?.balance += amount
        case let .redeem(recipient, amount, nonce, signer):
            guard let current = hub else { return .some("vouchers.unknown_hub") }
            guard amount > 0 else { return .some("vouchers.zero_amount") }
            guard signer == current.issuer else { return .some("vouchers.invalid_signature") }
            if let last = current.lastNonces[recipient], nonce <= last { return .some("vouchers.nonce_not_increasing") }
            let fee = amount / 100 * current.feePercent + amount % 100 * current.feePercent / 100
            let paid = amount - fee
            guard paid <= current.balance else { return .some("vouchers.hub_underfunded") }
            hub?.balance -= paid
            hub?.lastNonces[recipient] = nonce
            free[recipient, default: 0] += paid
        case let .createTask(creator, reward, max):
            guard escrow(reward * UInt64(max), from: creator) else { return .some("balances.insufficient_balance") }
            task = (creator, reward, max, [:], reward * UInt64(max))
        case .assignTask(let worker):
            guard let current = task else { return .some("tasks.task_not_found") }
            guard current.creator != worker else { return .some("tasks.creator_cannot_work") }
            let completed = current.workers.count == current.max && current.workers.values.allSatisfy { $0 }
            guard !completed else { return .some("tasks.task_closed") }
            guard current.workers.count < current.max else { return .some("tasks.max_assignments_reached") }
            guard current.workers[worker] == nil else { return .some("tasks.already_assigned") }
            task?.workers[worker] = false
        case .sendTaskResult(let worker):
            guard let current = task else { return .some("tasks.task_not_found") }
            guard let sent = current.workers[worker] else { return .some("tasks.submission_not_found") }
            guard !sent else { return .some("tasks.invalid_status") }
            // AutoAccept: paid at once.
            task?.workers[worker] = true
            task?.held -= current.reward
            free[worker, default: 0] += current.reward
        case let .createBounty(owner, prize):
            guard escrow(prize, from: owner) else { return .some("balances.insufficient_balance") }
            bounty = (owner, prize, false, [])
        case .openBounty(let by):
            guard bounty?.owner == by else { return .some("bounties.not_owner_or_moderator") }
            bounty?.open = true
        case .enrollBounty(let participant):
            guard let current = bounty else { return .some("bounties.unknown_bounty") }
            guard current.owner != participant else { return .some("bounties.owner_cannot_enroll") }
            guard current.open else { return .some("bounties.wrong_status") }
            guard !current.participants.contains(participant) else { return .some("bounties.already_enrolled") }
            bounty?.participants.insert(participant)
        default:
            return nil
        }
        return .some(nil)
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
    case publishAlgorithm(creator: AccountID, price: UInt64)
    case approveAlgorithm(by: AccountID)
    case purchase(buyer: AccountID)
    case withdrawProceeds(by: AccountID)
    case openHub(issuer: AccountID, feePercent: UInt64)
    case fundHub(by: AccountID, amount: UInt64)
    /// A voucher for `recipient`, signed by `signer` (the issuer, or a forger), redeemed by the recipient.
    case redeem(recipient: AccountID, amount: UInt64, nonce: UInt64, signer: AccountID)
    case createTask(creator: AccountID, reward: UInt64, max: Int)
    case assignTask(worker: AccountID)
    case sendTaskResult(worker: AccountID)
    case createBounty(owner: AccountID, prize: UInt64)
    case openBounty(by: AccountID)
    case enrollBounty(participant: AccountID)

    /// The account whose nonce advances if the action is accepted.
    var signer: AccountID? {
        switch self {
        case .transfer(let from, _, _): from
        case .faucet(let account, _): account
        case .grantModerator(let by, _), .revokeModerator(let by, _): by
        case .publishAlgorithm(let account, _), .approveAlgorithm(let account), .purchase(let account), .withdrawProceeds(let account),
             .openHub(let account, _), .fundHub(let account, _), .redeem(let account, _, _, _), .createTask(let account, _, _),
             .assignTask(let account), .sendTaskResult(let account), .createBounty(let account, _), .openBounty(let account),
             .enrollBounty(let account):
            account
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
        default: "\(String(describing: Mirror(reflecting: self).children.first?.label ?? "marketplace action"))"
        }
    }
}
