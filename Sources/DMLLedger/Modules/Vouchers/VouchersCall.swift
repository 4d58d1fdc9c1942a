import DMLCore

/// The calls of the Vouchers module.
public enum VouchersCall: ModuleCall, Hashable {
    case openHub(feePercent: UInt8)
    case fund(hub: Identifier<Hub>, amount: Amount)
    case setFee(hub: Identifier<Hub>, percent: UInt8)
    case blacklist(hub: Identifier<Hub>, account: AccountID)
    case redeem(Voucher, signature: [UInt8])
    case withdraw(hub: Identifier<Hub>, amount: Amount)

    public static let module = ModuleID.vouchers

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case .openHub(let feePercent):
            writer.write(UInt8(0)); writer.write(feePercent)
        case let .fund(hub, amount):
            writer.write(UInt8(1)); writer.write(hub); writer.write(amount)
        case let .setFee(hub, percent):
            writer.write(UInt8(2)); writer.write(hub); writer.write(percent)
        case let .blacklist(hub, account):
            writer.write(UInt8(3)); writer.write(hub); writer.write(account)
        case let .redeem(voucher, signature):
            writer.write(UInt8(4)); writer.write(voucher); writer.writeFixed(signature)
        case let .withdraw(hub, amount):
            writer.write(UInt8(5)); writer.write(hub); writer.write(amount)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("call tag") {
        case 0: self = .openHub(feePercent: try reader.readUInt8("fee percent"))
        case 1: self = .fund(hub: try reader.read(), amount: try reader.read())
        case 2: self = .setFee(hub: try reader.read(), percent: try reader.readUInt8("fee percent"))
        case 3: self = .blacklist(hub: try reader.read(), account: try reader.read())
        case 4: self = .redeem(try reader.read(), signature: try reader.readFixed(64, "signature"))
        case 5: self = .withdraw(hub: try reader.read(), amount: try reader.read())
        case let tag: throw .unknownTag(field: "vouchers call", offset: start, tag: UInt64(tag))
        }
    }
}

/// What the Vouchers module reports.
public enum VouchersEvent: ModuleEvent, Hashable {
    case hubOpened(hub: Identifier<Hub>, issuer: AccountID, feePercent: UInt8)
    case funded(hub: Identifier<Hub>, by: AccountID, amount: Amount)
    case feeChanged(hub: Identifier<Hub>, percent: UInt8)
    case blacklisted(hub: Identifier<Hub>, account: AccountID)
    case redeemed(hub: Identifier<Hub>, recipient: AccountID, nonce: UInt64, paid: Amount, fee: Amount)
    case withdrawn(hub: Identifier<Hub>, amount: Amount)

    public static let module = ModuleID.vouchers

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .hubOpened(hub, issuer, feePercent):
            writer.write(UInt8(0)); writer.write(hub); writer.write(issuer); writer.write(feePercent)
        case let .funded(hub, by, amount):
            writer.write(UInt8(1)); writer.write(hub); writer.write(by); writer.write(amount)
        case let .feeChanged(hub, percent):
            writer.write(UInt8(2)); writer.write(hub); writer.write(percent)
        case let .blacklisted(hub, account):
            writer.write(UInt8(3)); writer.write(hub); writer.write(account)
        case let .redeemed(hub, recipient, nonce, paid, fee):
            writer.write(UInt8(4)); writer.write(hub); writer.write(recipient); writer.write(nonce)
            writer.write(paid); writer.write(fee)
        case let .withdrawn(hub, amount):
            writer.write(UInt8(5)); writer.write(hub); writer.write(amount)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("event tag") {
        case 0: self = .hubOpened(hub: try reader.read(), issuer: try reader.read(), feePercent: try reader.readUInt8("fee"))
        case 1: self = .funded(hub: try reader.read(), by: try reader.read(), amount: try reader.read())
        case 2: self = .feeChanged(hub: try reader.read(), percent: try reader.readUInt8("fee"))
        case 3: self = .blacklisted(hub: try reader.read(), account: try reader.read())
        case 4:
            self = .redeemed(hub: try reader.read(), recipient: try reader.read(), nonce: try reader.readUInt64("nonce"),
                             paid: try reader.read(), fee: try reader.read())
        case 5: self = .withdrawn(hub: try reader.read(), amount: try reader.read())
        case let tag: throw .unknownTag(field: "vouchers event", offset: start, tag: UInt64(tag))
        }
    }
}

/// Why the Vouchers module refused a call.
public enum VouchersError: RejectionReason {
    case feeTooHigh(percent: UInt8)
    case unknownHub(Identifier<Hub>)
    case zeroAmount
    case notIssuer(hub: Identifier<Hub>, account: AccountID)
    case feeUnchanged(percent: UInt8)
    case alreadyBlacklisted(hub: Identifier<Hub>, account: AccountID)
    /// The voucher was not signed by the hub's issuer (or was altered).
    case invalidSignature(hub: Identifier<Hub>)
    case recipientBlacklisted(hub: Identifier<Hub>, recipient: AccountID)
    /// This nonce, or a higher one, was already redeemed for the recipient.
    case nonceNotIncreasing(hub: Identifier<Hub>, recipient: AccountID, last: UInt64, got: UInt64)
    /// The hub holds less than the voucher (or the withdrawal) asks for.
    case hubUnderfunded(hub: Identifier<Hub>, needed: Amount, held: Amount)
    case balances(BalancesError)
    case tooManyHubs

    public var code: String {
        switch self {
        case .feeTooHigh: "vouchers.fee_too_high"
        case .unknownHub: "vouchers.unknown_hub"
        case .zeroAmount: "vouchers.zero_amount"
        case .notIssuer: "vouchers.not_issuer"
        case .feeUnchanged: "vouchers.fee_unchanged"
        case .alreadyBlacklisted: "vouchers.already_blacklisted"
        case .invalidSignature: "vouchers.invalid_signature"
        case .recipientBlacklisted: "vouchers.recipient_blacklisted"
        case .nonceNotIncreasing: "vouchers.nonce_not_increasing"
        case .hubUnderfunded: "vouchers.hub_underfunded"
        case .balances(let error): error.code
        case .tooManyHubs: "vouchers.too_many_hubs"
        }
    }

    public var description: String {
        switch self {
        case .feeTooHigh(let percent): "a fee is at most 100 percent, got \(percent)"
        case .unknownHub(let hub): "there is no voucher hub \(hub)"
        case .zeroAmount: "the amount must be more than zero"
        case let .notIssuer(hub, account): "\(account) is not the issuer of hub \(hub)"
        case .feeUnchanged(let percent): "the fee is already \(percent) percent"
        case let .alreadyBlacklisted(hub, account): "\(account) is already blacklisted by hub \(hub)"
        case .invalidSignature(let hub): "the voucher is not signed by the issuer of hub \(hub)"
        case let .recipientBlacklisted(hub, recipient): "\(recipient) is blacklisted by hub \(hub)"
        case let .nonceNotIncreasing(hub, recipient, last, got):
            "hub \(hub) already redeemed nonce \(last) for \(recipient); a voucher needs a higher nonce, got \(got)"
        case let .hubUnderfunded(hub, needed, held): "hub \(hub) holds \(held), needs \(needed)"
        case .balances(let error): error.description
        case .tooManyHubs: "the hub counter is exhausted"
        }
    }
}
