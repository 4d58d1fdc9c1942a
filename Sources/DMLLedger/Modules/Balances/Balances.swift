import DMLCore

/// Balances: the native token. Accounts hold a *free* balance they can spend and a *held*
/// balance that other modules keep in escrow for them.
///
/// Calls (tags):
/// - `0 transfer(to, amount)` — any account with `amount` free.
/// - `1 faucet(amount)` — development chains only; mints at most `faucetAmountMax` to the caller.
///
/// Versions: v1 accepts zero amounts and transfers to oneself (both no-ops); v2 rejects both.
///
/// Invariant: the sum of all free and held balances equals the total issuance, which changes
/// only by genesis allocations and the faucet.
public enum Balances {
    /// account → balance (absent = zero).
    static let accounts = StorageMap<AccountID, AccountBalance>(module: .balances, map: 0)
    /// The total issuance: every token that exists.
    static let issuance = StorageMap<Unit, Amount>(module: .balances, map: 1)

    public static func balance(of account: AccountID, in context: CallContext) -> AccountBalance {
        context.get(accounts, account) ?? .empty
    }

    public static func totalIssuance(in context: CallContext) -> Amount { context.get(issuance, Unit()) ?? .zero }

    /// Moves `amount` of free balance from `source` to `destination`. Checks everything, then writes.
    public static func transfer(
        from source: AccountID, to destination: AccountID, amount: Amount, context: inout CallContext
    ) throws(BalancesError) {
        let sourceBalance = balance(of: source, in: context)
        guard let sourceFree = sourceBalance.free.subtracting(amount) else {
            throw .insufficientBalance(account: source, needed: amount, free: sourceBalance.free)
        }
        guard source != destination else { return }
        let destinationBalance = balance(of: destination, in: context)
        guard let destinationFree = destinationBalance.free.adding(amount),
              destinationBalance.held.adding(destinationFree) != nil else {
            throw .balanceOverflow(account: destination)
        }
        context.set(accounts, source, sourceBalance.with(free: sourceFree).nonEmpty)
        context.set(accounts, destination, destinationBalance.with(free: destinationFree).nonEmpty)
    }

    /// Creates `amount` new tokens in `account`'s free balance (genesis and faucet only).
    static func mint(_ amount: Amount, to account: AccountID, context: inout CallContext) throws(BalancesError) {
        let current = balance(of: account, in: context)
        guard let newIssuance = totalIssuance(in: context).adding(amount) else { throw .issuanceOverflow }
        guard let free = current.free.adding(amount), current.held.adding(free) != nil else {
            throw .balanceOverflow(account: account)
        }
        context.set(issuance, Unit(), newIssuance)
        context.set(accounts, account, current.with(free: free).nonEmpty)
    }
}

/// An account's balance: what it can spend and what is held in escrow for it.
public struct AccountBalance: Hashable, Sendable, CanonicalCodable, CustomStringConvertible {
    public static let empty = AccountBalance(free: .zero, held: .zero)

    public let free: Amount
    public let held: Amount

    public init(free: Amount, held: Amount) {
        self.free = free
        self.held = held
    }

    /// Free plus held; `nil` cannot happen for stored balances (every write checks the sum).
    public var total: Amount? { free.adding(held) }

    func with(free: Amount) -> AccountBalance { AccountBalance(free: free, held: held) }

    /// `nil` for an empty balance, so empty accounts take no room in the state.
    var nonEmpty: AccountBalance? { free.isZero && held.isZero ? nil : self }

    public var description: String { "free \(free), held \(held)" }

    public func encode(to writer: inout ByteWriter) {
        writer.write(free)
        writer.write(held)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        free = try reader.read()
        held = try reader.read()
    }
}
