import DMLCore
import DMLLedger
import Foundation
import Hummingbird

/// `/v1/vouchers`: payment hubs. An issuer opens a hub and funds its escrow; off the ledger it
/// signs vouchers — pay `amount` to `recipient` from `hub` as its `nonce`-th voucher — and
/// recipients redeem them here (the hub keeps its fee percent). A recipient's nonces must rise,
/// so the nonce endpoint tells an issuer which to use next.
///
/// A custodial issuer cannot sign off the ledger (the server keeps its key), so
/// `POST /v1/vouchers/hubs/:id/vouchers` signs a voucher for the hub's issuer; it writes nothing
/// to the ledger. Self-custody issuers sign `Voucher.signingMessage(chain:)` —
/// `"DML-VOUCHER" ‖ chain id ‖ canonical voucher` — with their own key.
struct VoucherRoutes: Sendable {
    let server: APIServer

    func register(on router: Router<APIContext>) {
        let group = router.group("/v1/vouchers")
        group.post("/hubs") { request, context in
            let body = try await request.json(HubFeeBody.self, context: context)
            let submitted = try await server.submit(VouchersCall.openHub(feePercent: try body.percent()).call, for: try context.requireUser())
            let id = submitted.inclusion.events.lazy.compactMap { event -> UInt64? in
                if case .hubOpened(let hub, _, _) = VouchersEvent(event) { hub.rawValue } else { nil }
            }.first
            return try reply(WriteView(id: id, transaction: submitted.receipt), status: .created)
        }
        group.get("/hubs/:id") { _, context in
            let id = try Self.id(context)
            guard let view = await server.ledger.reading({ state in Vouchers.hub(id, in: state).map { HubView(id: id, $0) } }) else {
                throw APIError.notFound("voucher hub \(id.rawValue)")
            }
            return try reply(view)
        }
        group.patch("/hubs/:id") { request, context in
            let id = try Self.id(context)
            let body = try await request.json(HubFeeBody.self, context: context)
            return try await write(.setFee(hub: id, percent: try body.percent()), id, context)
        }
        group.post("/hubs/:id/fund") { request, context in
            let id = try Self.id(context)
            let body = try await request.json(AmountBody.self, context: context)
            return try await write(.fund(hub: id, amount: try Amounts.parse(body.amount, field: "amount")), id, context)
        }
        group.post("/hubs/:id/blacklist") { request, context in
            let id = try Self.id(context)
            let body = try await request.json(HubAccountBody.self, context: context)
            return try await write(.blacklist(hub: id, account: try UserRoutes.account(body.account, field: "account")), id, context)
        }
        group.post("/hubs/:id/withdraw") { request, context in
            let id = try Self.id(context)
            let body = try await request.json(AmountBody.self, context: context)
            return try await write(.withdraw(hub: id, amount: try Amounts.parse(body.amount, field: "amount")), id, context)
        }
        group.post("/hubs/:id/vouchers") { request, context in try await issue(request, context) }
        group.get("/hubs/:id/nonces/:recipient") { _, context in
            let id = try Self.id(context)
            let recipient = try UserRoutes.account(try context.parameters.require("recipient"), field: "recipient")
            let found = await server.ledger.reading { state -> (hub: Bool, last: UInt64?) in
                (Vouchers.hub(id, in: state) != nil, Vouchers.lastNonce(hub: id, recipient: recipient, in: state))
            }
            guard found.hub else { throw APIError.notFound("voucher hub \(id.rawValue)") }
            return try reply(VoucherNonceView(hub: id.rawValue, recipient: recipient.address, lastNonce: found.last))
        }
        group.post("/redemptions") { request, context in
            let body = try await request.json(RedemptionBody.self, context: context)
            let user = try context.requireUser()
            let voucher = try body.voucher(defaultRecipient: user.account)
            let signature = try body.signatureBytes()
            let submitted = try await server.submit(VouchersCall.redeem(voucher, signature: signature).call, for: user)
            return try reply(WriteView(id: voucher.hub.rawValue, transaction: submitted.receipt), status: .created)
        }
    }

    func write(_ call: VouchersCall, _ id: Identifier<Hub>, _ context: APIContext) async throws -> Response {
        let submitted = try await server.submit(call.call, for: try context.requireUser())
        return try reply(WriteView(id: id.rawValue, transaction: submitted.receipt))
    }

    static func id(_ context: APIContext) throws -> Identifier<Hub> {
        Identifier(try PathID.parse(context, what: "a hub id"))
    }

    /// `POST /v1/vouchers/hubs/:id/vouchers`: the hub's custodial issuer has the server sign a
    /// voucher with its key. Nothing is written; the recipient redeems it (`POST
    /// /v1/vouchers/redemptions`). The nonce must be above the recipient's last redeemed one
    /// (`GET …/nonces/:recipient`); the ledger refuses the redemption otherwise.
    func issue(_ request: Request, _ context: APIContext) async throws -> Response {
        let id = try Self.id(context)
        let user = try context.requireUser()
        let body = try await request.json(IssueVoucherBody.self, context: context)
        let recipient = try UserRoutes.account(body.recipient, field: "recipient")
        let amount = try Amounts.parse(body.amount, field: "amount")
        guard !amount.isZero else { throw APIError.invalid("amount", "a voucher pays more than zero") }
        guard let issuer = await server.ledger.reading({ Vouchers.hub(id, in: $0)?.issuer }) else {
            throw APIError.notFound("voucher hub \(id.rawValue)")
        }
        guard issuer == user.account else {
            throw APIError(.forbidden, "vouchers.not_issuer", "only the issuer of hub \(id.rawValue) signs its vouchers")
        }
        let key = try await server.custodialKey(user)
        let voucher = Voucher(hub: id, recipient: recipient, amount: amount, nonce: body.nonce)
        let signature = voucher.signed(by: key, chain: server.ledger.chainID)
        return try reply(VoucherView(voucher, signature: signature, chain: server.ledger.chainID), status: .created)
    }
}

// MARK: - Bodies and views

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
