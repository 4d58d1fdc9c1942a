import DMLCore

/// Balances version 1: zero amounts and transfers to oneself are accepted as no-ops.
public struct BalancesV1: ModuleLogic {
    public var module: ModuleID { .balances }
    public var version: UInt32 { 1 }
    public init() {}

    public func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        try BalancesRules(rejectsTrivialTransfers: false).dispatch(decode(BalancesCall.self, body), origin: origin, context: &context)
    }

    public func invariantViolations(in context: CallContext) -> [String] { BalancesRules.invariantViolations(in: context) }
}

/// Balances version 2: as v1, but a transfer of zero or to oneself is refused.
public struct BalancesV2: ModuleLogic {
    public var module: ModuleID { .balances }
    public var version: UInt32 { 2 }
    public init() {}

    public func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        try BalancesRules(rejectsTrivialTransfers: true).dispatch(decode(BalancesCall.self, body), origin: origin, context: &context)
    }

    public func invariantViolations(in context: CallContext) -> [String] { BalancesRules.invariantViolations(in: context) }
}

/// The calls, parameterised by the one rule that differs between versions.
struct BalancesRules {
    let rejectsTrivialTransfers: Bool

    func dispatch(_ call: BalancesCall, origin: AccountID, context: inout CallContext) throws(TransactionError) {
        do {
            switch call {
            case let .transfer(to, amount): try transfer(from: origin, to: to, amount: amount, context: &context)
            case let .faucet(amount): try faucet(amount, to: origin, context: &context)
            }
        } catch {
            throw .balances(error)
        }
    }

    /// Moves `amount` from the caller's free balance to `destination`.
    ///
    /// - Throws (in order): `.zeroAmount`, `.transferToSelf` (v2 only), `.insufficientBalance`,
    ///   `.balanceOverflow`.
    /// - Emits: `.transferred`.
    func transfer(from origin: AccountID, to destination: AccountID, amount: Amount,
                  context: inout CallContext) throws(BalancesError) {
        if rejectsTrivialTransfers {
            guard !amount.isZero else { throw .zeroAmount }
            guard origin != destination else { throw .transferToSelf }
        }
        try Balances.transfer(from: origin, to: destination, amount: amount, context: &context)
        context.emit(BalancesEvent.transferred(from: origin, to: destination, amount: amount))
    }

    /// Mints `amount` to the caller on a development chain.
    ///
    /// - Throws (in order): `.faucetDisabled`, `.faucetAmountTooLarge`, `.issuanceOverflow`,
    ///   `.balanceOverflow`.
    /// - Emits: `.minted`.
    func faucet(_ amount: Amount, to origin: AccountID, context: inout CallContext) throws(BalancesError) {
        guard context.spec.isDevelopment else { throw .faucetDisabled }
        guard amount <= context.spec.faucetAmountMax else {
            throw .faucetAmountTooLarge(requested: amount, max: context.spec.faucetAmountMax)
        }
        try Balances.mint(amount, to: origin, context: &context)
        context.emit(BalancesEvent.minted(to: origin, amount: amount))
    }

    /// Conservation: Σ (free + held) over all accounts + Σ escrows == total issuance.
    static func invariantViolations(in context: CallContext) -> [String] {
        var sum: UInt64 = 0
        var overflowed = false
        for (account, balance) in context.entries(Balances.accounts) {
            guard let total = balance.total else { return ["\(account)'s free + held overflows"] }
            let (next, overflow) = sum.addingReportingOverflow(total.baseUnits)
            overflowed = overflowed || overflow
            sum = next
            if total.isZero { return ["\(account) has an empty balance entry; empty entries must be removed"] }
        }
        for (escrow, amount) in context.entries(Balances.escrows) {
            if amount.isZero { return ["\(escrow) has an empty entry; empty escrows must be removed"] }
            let (next, overflow) = sum.addingReportingOverflow(amount.baseUnits)
            overflowed = overflowed || overflow
            sum = next
        }
        let issuance = Balances.totalIssuance(in: context)
        if overflowed || sum != issuance.baseUnits {
            return ["balances and escrows sum to \(overflowed ? "more than u64" : String(sum)) base units, total issuance is \(issuance.baseUnits)"]
        }
        return []
    }
}
