import DMLCore

/// Vouchers version 1.
public struct VouchersV1: ModuleLogic {
    public var module: ModuleID { .vouchers }
    public var version: UInt32 { 1 }
    public init() {}

    public func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        let call = try decode(VouchersCall.self, body)
        do {
            switch call {
            case .openHub(let feePercent): try openHub(feePercent: feePercent, by: origin, context: &context)
            case let .fund(hub, amount): try fund(hub, amount: amount, by: origin, context: &context)
            case let .setFee(hub, percent): try setFee(hub, percent: percent, by: origin, context: &context)
            case let .blacklist(hub, account): try blacklist(hub, account: account, by: origin, context: &context)
            case let .redeem(voucher, signature): try redeem(voucher, signature: signature, context: &context)
            case let .withdraw(hub, amount): try withdraw(hub, amount: amount, by: origin, context: &context)
            }
        } catch {
            throw .vouchers(error)
        }
    }

    /// - Throws: `.feeTooHigh`, `.tooManyHubs`. Emits `.hubOpened`.
    func openHub(feePercent: UInt8, by issuer: AccountID, context: inout CallContext) throws(VouchersError) {
        guard feePercent <= 100 else { throw .feeTooHigh(percent: feePercent) }
        let id = context.get(Vouchers.nextHub, Unit()) ?? Identifier(1)
        guard let next = id.next else { throw .tooManyHubs }
        context.set(Vouchers.nextHub, Unit(), next)
        context.set(Vouchers.hubs, id, Hub(issuer: issuer, feePercent: feePercent, balance: .zero))
        context.emit(VouchersEvent.hubOpened(hub: id, issuer: issuer, feePercent: feePercent))
    }

    /// - Throws: `.unknownHub`, `.zeroAmount`, `.balances(.insufficientBalance)`. Emits `.funded`.
    func fund(_ id: Identifier<Hub>, amount: Amount, by funder: AccountID, context: inout CallContext) throws(VouchersError) {
        let hub = try existing(id, context)
        guard !amount.isZero else { throw .zeroAmount }
        guard let balance = hub.balance.adding(amount) else { throw .balances(.issuanceOverflow) }
        do { try Balances.deposit(amount, from: funder, into: Vouchers.escrow(id), context: &context) } catch { throw .balances(error) }
        context.set(Vouchers.hubs, id, hub.with(balance: balance))
        context.emit(VouchersEvent.funded(hub: id, by: funder, amount: amount))
    }

    /// - Throws: `.unknownHub`, `.notIssuer`, `.feeTooHigh`, `.feeUnchanged`. Emits `.feeChanged`.
    func setFee(_ id: Identifier<Hub>, percent: UInt8, by actor: AccountID, context: inout CallContext) throws(VouchersError) {
        let hub = try issued(id, by: actor, context)
        guard percent <= 100 else { throw .feeTooHigh(percent: percent) }
        guard percent != hub.feePercent else { throw .feeUnchanged(percent: percent) }
        context.set(Vouchers.hubs, id, hub.with(feePercent: percent))
        context.emit(VouchersEvent.feeChanged(hub: id, percent: percent))
    }

    /// - Throws: `.unknownHub`, `.notIssuer`, `.alreadyBlacklisted`. Emits `.blacklisted`.
    func blacklist(_ id: Identifier<Hub>, account: AccountID, by actor: AccountID, context: inout CallContext) throws(VouchersError) {
        _ = try issued(id, by: actor, context)
        let key = Pair(id, account)
        guard context.get(Vouchers.blacklist, key) == nil else { throw .alreadyBlacklisted(hub: id, account: account) }
        context.set(Vouchers.blacklist, key, context.height)
        context.emit(VouchersEvent.blacklisted(hub: id, account: account))
    }

    /// Pays a voucher: `amount − fee` to the recipient, the fee stays in the hub.
    ///
    /// - Origin: anyone (usually the recipient).
    /// - Throws (in order): `.unknownHub`, `.zeroAmount`, `.invalidSignature`,
    ///   `.recipientBlacklisted`, `.nonceNotIncreasing`, `.hubUnderfunded`. Emits `.redeemed`.
    func redeem(_ voucher: Voucher, signature: [UInt8], context: inout CallContext) throws(VouchersError) {
        let id = voucher.hub
        let hub = try existing(id, context)
        guard !voucher.amount.isZero else { throw .zeroAmount }
        guard hub.issuer.isValidSignature(signature, for: voucher.signingMessage(chain: context.chainID)) else {
            throw .invalidSignature(hub: id)
        }
        let key = Pair(id, voucher.recipient)
        guard context.get(Vouchers.blacklist, key) == nil else { throw .recipientBlacklisted(hub: id, recipient: voucher.recipient) }
        if let last = context.get(Vouchers.lastNonces, key), voucher.nonce <= last {
            throw .nonceNotIncreasing(hub: id, recipient: voucher.recipient, last: last, got: voucher.nonce)
        }
        let fee = Vouchers.fee(on: voucher.amount, percent: hub.feePercent)
        let paid = voucher.amount.subtracting(fee) ?? .zero
        guard let balance = hub.balance.subtracting(paid) else {
            throw .hubUnderfunded(hub: id, needed: paid, held: hub.balance)
        }
        do { try Balances.release(paid, from: Vouchers.escrow(id), to: voucher.recipient, context: &context) } catch { throw .balances(error) }
        context.set(Vouchers.lastNonces, key, voucher.nonce)
        context.set(Vouchers.hubs, id, hub.with(balance: balance))
        context.emit(VouchersEvent.redeemed(hub: id, recipient: voucher.recipient, nonce: voucher.nonce, paid: paid, fee: fee))
    }

    /// - Throws: `.unknownHub`, `.notIssuer`, `.zeroAmount`, `.hubUnderfunded`. Emits `.withdrawn`.
    func withdraw(_ id: Identifier<Hub>, amount: Amount, by actor: AccountID, context: inout CallContext) throws(VouchersError) {
        let hub = try issued(id, by: actor, context)
        guard !amount.isZero else { throw .zeroAmount }
        guard let balance = hub.balance.subtracting(amount) else { throw .hubUnderfunded(hub: id, needed: amount, held: hub.balance) }
        do { try Balances.release(amount, from: Vouchers.escrow(id), to: actor, context: &context) } catch { throw .balances(error) }
        context.set(Vouchers.hubs, id, hub.with(balance: balance))
        context.emit(VouchersEvent.withdrawn(hub: id, amount: amount))
    }

    private func existing(_ id: Identifier<Hub>, _ context: CallContext) throws(VouchersError) -> Hub {
        guard let hub = Vouchers.hub(id, in: context) else { throw .unknownHub(id) }
        return hub
    }

    private func issued(_ id: Identifier<Hub>, by actor: AccountID, _ context: CallContext) throws(VouchersError) -> Hub {
        let hub = try existing(id, context)
        guard hub.issuer == actor else { throw .notIssuer(hub: id, account: actor) }
        return hub
    }

    /// Each hub's escrow equals its recorded balance; no escrow without a hub.
    public func invariantViolations(in context: CallContext) -> [String] {
        var problems: [String] = []
        var escrows = Dictionary(uniqueKeysWithValues: Balances.escrows(of: .vouchers, in: context))
        for (id, hub) in context.entries(Vouchers.hubs) {
            let held = escrows.removeValue(forKey: Vouchers.escrow(id)) ?? .zero
            if held != hub.balance { problems.append("hub \(id) records \(hub.balance) but its escrow holds \(held)") }
        }
        for (escrow, amount) in escrows { problems.append("\(escrow) holds \(amount) for no hub") }
        return problems
    }
}
