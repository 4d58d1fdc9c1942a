import DMLCore

/// Names one pot of money a module holds on behalf of others: a bounty's prizes, an
/// algorithm's proceeds, a voucher hub's funds.
///
/// Escrows are not accounts: nobody holds a key for them and no transfer can reach them, so a
/// module's escrow changes only through that module's own calls, and every module can prove
/// that each escrow equals what it still owes.
public struct EscrowID: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    public let module: ModuleID
    /// What kind of object within the module (a module may have several kinds).
    public let purpose: UInt8
    public let id: UInt64

    public init(module: ModuleID, purpose: UInt8 = 0, id: UInt64) {
        self.module = module
        self.purpose = purpose
        self.id = id
    }

    public static func < (lhs: EscrowID, rhs: EscrowID) -> Bool {
        (lhs.module, lhs.purpose, lhs.id) < (rhs.module, rhs.purpose, rhs.id)
    }

    public var description: String { "escrow \(module)/\(purpose)/\(id)" }

    public func encode(to writer: inout ByteWriter) {
        writer.write(module)
        writer.write(purpose)
        writer.write(id)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        module = try reader.read()
        purpose = try reader.readUInt8("purpose")
        id = try reader.readUInt64("escrow id")
    }
}

extension Balances {
    /// escrow → amount held (absent = zero).
    static let escrows = StorageMap<EscrowID, Amount>(module: .balances, map: 2)

    public static func escrowBalance(_ escrow: EscrowID, in context: CallContext) -> Amount {
        context.get(escrows, escrow) ?? .zero
    }

    /// Moves `amount` of `account`'s free balance into `escrow`. Emits `.escrowed`.
    public static func deposit(_ amount: Amount, from account: AccountID, into escrow: EscrowID,
                               context: inout CallContext) throws(BalancesError) {
        let balance = balance(of: account, in: context)
        guard let free = balance.free.subtracting(amount) else {
            throw .insufficientBalance(account: account, needed: amount, free: balance.free)
        }
        // Cannot overflow: every escrow and balance together never exceed the issuance.
        guard let held = escrowBalance(escrow, in: context).adding(amount) else { throw .issuanceOverflow }
        context.set(accounts, account, balance.with(free: free).nonEmpty)
        context.set(escrows, escrow, held)
        context.emit(BalancesEvent.escrowed(from: account, escrow: escrow, amount: amount))
    }

    /// Pays `amount` out of `escrow` into `account`'s free balance. Emits `.released`.
    public static func release(_ amount: Amount, from escrow: EscrowID, to account: AccountID,
                               context: inout CallContext) throws(BalancesError) {
        let held = escrowBalance(escrow, in: context)
        guard let remaining = held.subtracting(amount) else {
            throw .escrowShort(escrow: escrow, needed: amount, held: held)
        }
        let balance = balance(of: account, in: context)
        guard let free = balance.free.adding(amount), balance.held.adding(free) != nil else {
            throw .balanceOverflow(account: account)
        }
        context.set(escrows, escrow, remaining.isZero ? nil : remaining)
        context.set(accounts, account, balance.with(free: free).nonEmpty)
        context.emit(BalancesEvent.released(escrow: escrow, to: account, amount: amount))
    }

    /// Every non-empty escrow of `module`, for that module's invariants.
    public static func escrows(of module: ModuleID, in context: CallContext) -> [(EscrowID, Amount)] {
        context.entries(escrows).filter { $0.0.module == module }
    }
}
