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
