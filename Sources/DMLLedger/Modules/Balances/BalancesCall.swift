import DMLCore

/// The calls of the Balances module, as a transaction carries them.
public enum BalancesCall: ModuleCall, Hashable {
    case transfer(to: AccountID, amount: Amount)
    case faucet(amount: Amount)

    public static let module = ModuleID.balances

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .transfer(to, amount):
            writer.write(UInt8(0))
            writer.write(to)
            writer.write(amount)
        case let .faucet(amount):
            writer.write(UInt8(1))
            writer.write(amount)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("call tag") {
        case 0: self = .transfer(to: try reader.read(), amount: try reader.read())
        case 1: self = .faucet(amount: try reader.read())
        case let tag: throw .unknownTag(field: "balances call", offset: start, tag: UInt64(tag))
        }
    }
}

/// What the Balances module reports.
public enum BalancesEvent: ModuleEvent, Hashable {
    /// `amount` moved from `from`'s free balance to `to`'s.
    case transferred(from: AccountID, to: AccountID, amount: Amount)
    /// New tokens created in `to`'s free balance (genesis allocation or faucet).
    case minted(to: AccountID, amount: Amount)
    /// `amount` moved from `from`'s free balance into a module's escrow.
    case escrowed(from: AccountID, escrow: EscrowID, amount: Amount)
    /// `amount` paid out of a module's escrow into `to`'s free balance.
    case released(escrow: EscrowID, to: AccountID, amount: Amount)

    public static let module = ModuleID.balances

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .transferred(from, to, amount):
            writer.write(UInt8(0))
            writer.write(from)
            writer.write(to)
            writer.write(amount)
        case let .minted(to, amount):
            writer.write(UInt8(1))
            writer.write(to)
            writer.write(amount)
        case let .escrowed(from, escrow, amount):
            writer.write(UInt8(2))
            writer.write(from)
            writer.write(escrow)
            writer.write(amount)
        case let .released(escrow, to, amount):
            writer.write(UInt8(3))
            writer.write(escrow)
            writer.write(to)
            writer.write(amount)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("event tag") {
        case 0: self = .transferred(from: try reader.read(), to: try reader.read(), amount: try reader.read())
        case 1: self = .minted(to: try reader.read(), amount: try reader.read())
        case 2: self = .escrowed(from: try reader.read(), escrow: try reader.read(), amount: try reader.read())
        case 3: self = .released(escrow: try reader.read(), to: try reader.read(), amount: try reader.read())
        case let tag: throw .unknownTag(field: "balances event", offset: start, tag: UInt64(tag))
        }
    }
}

/// Why the Balances module refused a call.
public enum BalancesError: RejectionReason {
    /// The account's free balance is less than the amount.
    case insufficientBalance(account: AccountID, needed: Amount, free: Amount)
    /// Crediting the account would exceed the largest representable amount.
    case balanceOverflow(account: AccountID)
    /// Minting would push the total issuance past the largest representable amount.
    case issuanceOverflow
    /// The faucet exists only on development chains.
    case faucetDisabled
    /// A faucet call asked for more than the chain allows per call.
    case faucetAmountTooLarge(requested: Amount, max: Amount)
    /// (v2) A transfer of nothing.
    case zeroAmount
    /// (v2) A transfer from an account to itself.
    case transferToSelf
    /// A module tried to pay more out of an escrow than it holds (a module bug if ever seen).
    case escrowShort(escrow: EscrowID, needed: Amount, held: Amount)

    public var code: String {
        switch self {
        case .insufficientBalance: "balances.insufficient_balance"
        case .balanceOverflow: "balances.balance_overflow"
        case .issuanceOverflow: "balances.issuance_overflow"
        case .faucetDisabled: "balances.faucet_disabled"
        case .faucetAmountTooLarge: "balances.faucet_amount_too_large"
        case .zeroAmount: "balances.zero_amount"
        case .transferToSelf: "balances.transfer_to_self"
        case .escrowShort: "balances.escrow_short"
        }
    }

    public var description: String {
        switch self {
        case let .insufficientBalance(account, needed, free):
            "\(account) has \(free) free, needs \(needed)"
        case .balanceOverflow(let account): "crediting \(account) would overflow its balance"
        case .issuanceOverflow: "minting would overflow the total issuance"
        case .faucetDisabled: "the faucet exists only on development chains"
        case let .faucetAmountTooLarge(requested, max): "faucet gives at most \(max) per call, asked for \(requested)"
        case .zeroAmount: "a transfer must move more than zero"
        case .transferToSelf: "an account cannot transfer to itself"
        case let .escrowShort(escrow, needed, held): "\(escrow) holds \(held), cannot pay \(needed)"
        }
    }
}
