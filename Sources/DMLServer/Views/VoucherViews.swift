import DMLCore
import DMLLedger
import Foundation
import Hummingbird

/// `{"feePercent": 0…100}`: the share of each voucher the hub keeps.
struct HubFeeBody: Decodable {
    let feePercent: UInt8

    func percent() throws(APIError) -> UInt8 {
        guard feePercent <= 100 else { throw .invalid("feePercent", "a percentage from 0 to 100") }
        return feePercent
    }
}

struct HubAccountBody: Decodable { let account: String }

struct IssueVoucherBody: Decodable {
    let recipient: String
    let amount: String
    let nonce: UInt64
}

/// A voucher to redeem: what the issuer signed, and the signature (64 bytes in hex). The
/// recipient is the caller unless named; the ledger pays the named recipient whoever submits.
struct RedemptionBody: Decodable {
    let hub: UInt64
    let recipient: String?
    let amount: String
    let nonce: UInt64
    let signature: String

    func voucher(defaultRecipient: AccountID) throws(APIError) -> Voucher {
        guard hub > 0 else { throw .invalid("hub", "a hub id is a positive whole number") }
        var payee = defaultRecipient
        if let recipient { payee = try UserRoutes.account(recipient, field: "recipient") }
        return Voucher(hub: Identifier(hub), recipient: payee,
                       amount: try Amounts.parse(amount, field: "amount"), nonce: nonce)
    }

    func signatureBytes() throws(APIError) -> [UInt8] {
        guard let bytes = Hex.decode(signature), bytes.count == 64 else {
            throw .invalid("signature", "an Ed25519 signature: 64 bytes as 128 hex characters")
        }
        return bytes
    }
}

struct HubView: Codable, Sendable {
    let id: UInt64
    let issuer: String
    let feePercent: UInt8
    /// What the hub's escrow holds (base units): funding, minus payouts and withdrawals.
    let balance: String

    init(id: Identifier<Hub>, _ hub: Hub) {
        self.id = id.rawValue
        issuer = hub.issuer.address
        feePercent = hub.feePercent
        balance = String(hub.balance.baseUnits)
    }
}

/// The highest nonce redeemed for a recipient at a hub, and the lowest the next voucher may use
/// (absent once `UInt64.max` is used: no voucher can follow).
struct VoucherNonceView: Codable, Sendable {
    let hub: UInt64
    let recipient: String
    let lastNonce: UInt64?
    let nextNonce: UInt64?

    init(hub: UInt64, recipient: String, lastNonce: UInt64?) {
        self.hub = hub
        self.recipient = recipient
        self.lastNonce = lastNonce
        if let lastNonce {
            nextNonce = lastNonce == .max ? nil : lastNonce + 1
        } else {
            nextNonce = 0
        }
    }
}

/// A signed voucher, ready to hand to its recipient.
struct VoucherView: Codable, Sendable {
    let hub: UInt64
    let recipient: String
    let amount: String
    let nonce: UInt64
    /// Hex of the Ed25519 signature over `message`.
    let signature: String
    /// Hex of the signed bytes: `"DML-VOUCHER" ‖ chain id ‖ canonical voucher`.
    let message: String

    init(_ voucher: Voucher, signature: [UInt8], chain: Hash256) {
        hub = voucher.hub.rawValue
        recipient = voucher.recipient.address
        amount = String(voucher.amount.baseUnits)
        nonce = voucher.nonce
        self.signature = Hex.encode(signature)
        message = Hex.encode(voucher.signingMessage(chain: chain))
    }
}
