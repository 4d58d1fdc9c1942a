import DMLCore

/// Vouchers: signed payouts off the ledger, redeemed on it (seed 000 `PaymentHub`).
///
/// An issuer opens a hub and funds its escrow. Off the ledger it signs vouchers — (hub,
/// recipient, amount, nonce) — and hands them to the people it pays (devices, say); anyone may
/// redeem a voucher on the ledger. A recipient's nonces must strictly increase, so a voucher
/// cannot be redeemed twice and an older one cannot be redeemed after a newer one. The hub keeps
/// a percentage fee; the issuer can blacklist recipients and withdraw what the hub holds.
///
/// Calls (tags): `0 openHub(feePercent)` any account; `1 fund(hub, amount)` any account;
/// `2 setFee(hub, percent)`, `3 blacklist(hub, account)`, `5 withdraw(hub, amount)` the issuer;
/// `4 redeem(voucher, signature)` anyone.
///
/// Invariant: each hub's escrow equals its recorded balance.
public enum Vouchers {
    static let hubs = StorageMap<Identifier<Hub>, Hub>(module: .vouchers, map: 0)
    static let nextHub = StorageMap<Unit, Identifier<Hub>>(module: .vouchers, map: 1)
    /// (hub, recipient) → the highest nonce redeemed.
    static let lastNonces = StorageMap<Pair<Identifier<Hub>, AccountID>, UInt64>(module: .vouchers, map: 2)
    /// (hub, account) → the height at which it was blacklisted.
    static let blacklist = StorageMap<Pair<Identifier<Hub>, AccountID>, UInt64>(module: .vouchers, map: 3)

    public static let signingDomain = Array("DML-VOUCHER".utf8)

    public static func escrow(_ hub: Identifier<Hub>) -> EscrowID { EscrowID(module: .vouchers, id: hub.rawValue) }

    public static func hub(_ id: Identifier<Hub>, in context: CallContext) -> Hub? { context.get(hubs, id) }

    public static func lastNonce(hub: Identifier<Hub>, recipient: AccountID, in context: CallContext) -> UInt64? {
        context.get(lastNonces, Pair(hub, recipient))
    }

    /// The fee on `amount` at `percent` (rounded down), computed without overflow.
    public static func fee(on amount: Amount, percent: UInt8) -> Amount {
        let rate = UInt64(percent)
        return Amount(baseUnits: amount.baseUnits / 100 * rate + amount.baseUnits % 100 * rate / 100)
    }
}

/// A voucher hub.
public struct Hub: Hashable, Sendable, CanonicalCodable {
    public let issuer: AccountID
    public let feePercent: UInt8
    /// What the hub's escrow holds: funding, minus payouts and withdrawals (fees stay in).
    public let balance: Amount

    public func with(feePercent: UInt8? = nil, balance: Amount? = nil) -> Hub {
        Hub(issuer: issuer, feePercent: feePercent ?? self.feePercent, balance: balance ?? self.balance)
    }

    public init(issuer: AccountID, feePercent: UInt8, balance: Amount) {
        self.issuer = issuer
        self.feePercent = feePercent
        self.balance = balance
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(issuer)
        writer.write(feePercent)
        writer.write(balance)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        issuer = try reader.read()
        feePercent = try reader.readUInt8("fee percent")
        balance = try reader.read()
    }
}

/// What an issuer signs: pay `amount` to `recipient` from `hub`, as its `nonce`-th voucher.
public struct Voucher: Hashable, Sendable, CanonicalCodable {
    public let hub: Identifier<Hub>
    public let recipient: AccountID
    public let amount: Amount
    public let nonce: UInt64

    public init(hub: Identifier<Hub>, recipient: AccountID, amount: Amount, nonce: UInt64) {
        self.hub = hub
        self.recipient = recipient
        self.amount = amount
        self.nonce = nonce
    }

    /// `DML-VOUCHER ‖ chain ‖ voucher`: bound to one chain, never confusable with a transaction.
    public func signingMessage(chain: Hash256) -> [UInt8] { Vouchers.signingDomain + chain.bytes + canonicalBytes }

    public func signed(by key: AccountKey, chain: Hash256) -> [UInt8] { key.sign(signingMessage(chain: chain)) }

    public func encode(to writer: inout ByteWriter) {
        writer.write(hub)
        writer.write(recipient)
        writer.write(amount)
        writer.write(nonce)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        hub = try reader.read()
        recipient = try reader.read()
        amount = try reader.read()
        nonce = try reader.readUInt64("nonce")
    }
}
