import DMLCore

/// Marketplace version 1: a moderator's `changeCreator` hands the listing over with the
/// proceeds it had earned, which the new creator could then withdraw (a moderator could take a
/// creator's money: kept only so that old blocks replay as they were applied).
public struct MarketplaceV1: ModuleLogic {
    public var module: ModuleID { .marketplace }
    public var version: UInt32 { 1 }
    public init() {}

    public func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        try MarketplaceRules(settlesProceedsOnCreatorChange: false).dispatch(decode(MarketplaceCall.self, body), origin: origin, context: &context)
    }

    public func invariantViolations(in context: CallContext) -> [String] { MarketplaceRules.invariantViolations(in: context) }
}

/// Marketplace version 2: `changeCreator` first pays the proceeds the listing earned so far to
/// the previous creator — money a creator earned stays theirs whoever a moderator hands the
/// listing to; only later sales go to the new creator.
public struct MarketplaceV2: ModuleLogic {
    public var module: ModuleID { .marketplace }
    public var version: UInt32 { 2 }
    public init() {}

    public func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        try MarketplaceRules(settlesProceedsOnCreatorChange: true).dispatch(decode(MarketplaceCall.self, body), origin: origin, context: &context)
    }

    public func invariantViolations(in context: CallContext) -> [String] { MarketplaceRules.invariantViolations(in: context) }
}

/// The calls, parameterised by the one rule that differs between versions.
struct MarketplaceRules: Sendable {
    let settlesProceedsOnCreatorChange: Bool

    func dispatch(_ call: MarketplaceCall, origin: AccountID, context: inout CallContext) throws(TransactionError) {
        do {
            switch call {
            case .publish(let draft): try publish(draft, by: origin, context: &context)
            case let .publishVersion(id, artifact): try publishVersion(id, artifact: artifact, by: origin, context: &context)
            case .approve(let id): try moderate(id, from: [.pendingReview], to: .active, by: origin, context: &context)
            case .sendToReview(let id): try moderate(id, from: [.active, .inactive], to: .pendingReview, by: origin, context: &context)
            case .activate(let id): try toggle(id, from: .inactive, to: .active, by: origin, context: &context)
            case .deactivate(let id): try toggle(id, from: .active, to: .inactive, by: origin, context: &context)
            case let .setPrice(id, price, deviceFee): try setPrice(id, price: price, deviceFee: deviceFee, by: origin, context: &context)
            case let .changeCreator(id, to): try changeCreator(id, to: to, by: origin, context: &context)
            case let .purchase(id, maxPrice): try purchase(id, maxPrice: maxPrice, by: origin, context: &context)
            case let .forceBuy(id, buyer): try forceBuy(id, for: buyer, by: origin, context: &context)
            case .withdrawProceeds(let id): try withdrawProceeds(id, by: origin, context: &context)
            case .recordDownload(let id): try recordDownload(id, by: origin, context: &context)
            }
        } catch {
            throw .marketplace(error)
        }
    }

    /// - Throws (in order): `.titleEmpty`, `.fieldTooLong` (title, description, data required),
    ///   `.tooManyTags`, then for each tag `.tagEmpty` and `.fieldTooLong`, `.tooManyAlgorithms`.
    ///   Emits `.published`.
    func publish(_ draft: AlgorithmDraft, by creator: AccountID, context: inout CallContext) throws(MarketplaceError) {
        try validate(draft)
        var owned = context.get(Marketplace.byCreator, creator) ?? []
        guard owned.count < Marketplace.algorithmsPerCreatorMax else {
            throw .tooManyAlgorithms(creator: creator, max: Marketplace.algorithmsPerCreatorMax)
        }
        let id = context.get(Marketplace.nextAlgorithm, Unit()) ?? Identifier(1)
        guard let next = id.next else { throw .tooManyAlgorithms(creator: creator, max: 0) }
        owned.append(id)
        context.set(Marketplace.nextAlgorithm, Unit(), next)
        context.set(Marketplace.algorithms, id, Algorithm(creator: creator, draft: draft))
        context.set(Marketplace.versions, Pair(id, 1), AlgorithmVersion(artifact: draft.artifact, height: context.height))
        context.set(Marketplace.byCreator, creator, owned)
        context.emit(MarketplaceEvent.published(id, creator: creator, artifact: draft.artifact))
    }

    private func validate(_ draft: AlgorithmDraft) throws(MarketplaceError) {
        guard !draft.title.isEmpty else { throw .titleEmpty }
        let fields = [("title", draft.title, Marketplace.titleBytesMax), ("description", draft.description, Marketplace.descriptionBytesMax),
                      ("data required", draft.dataRequired, Marketplace.dataRequiredBytesMax)]
        for (name, text, max) in fields where text.utf8.count > max {
            throw .fieldTooLong(field: name, bytes: text.utf8.count, max: max)
        }
        guard draft.tags.count <= Marketplace.tagsMax else { throw .tooManyTags(count: draft.tags.count, max: Marketplace.tagsMax) }
        for tag in draft.tags {
            guard !tag.isEmpty else { throw .tagEmpty }
            guard tag.utf8.count <= Marketplace.tagBytesMax else {
                throw .fieldTooLong(field: "tag", bytes: tag.utf8.count, max: Marketplace.tagBytesMax)
            }
        }
    }

    /// A new artifact version; the algorithm goes back to review. Creator only.
    /// - Throws: `.unknownAlgorithm`, `.notCreator`. Emits `.versionPublished`, `.statusChanged`.
    func publishVersion(_ id: Identifier<Algorithm>, artifact: ContentAddress, by actor: AccountID, context: inout CallContext) throws(MarketplaceError) {
        var algorithm = try existing(id, context)
        guard algorithm.creator == actor else { throw .notCreator(id, account: actor) }
        guard algorithm.version < .max else { throw .fieldTooLong(field: "version", bytes: 4, max: 4) }
        algorithm.version += 1
        algorithm.draft.artifact = artifact
        let wasReviewed = algorithm.status != .pendingReview
        algorithm.status = .pendingReview
        context.set(Marketplace.algorithms, id, algorithm)
        context.set(Marketplace.versions, Pair(id, algorithm.version), AlgorithmVersion(artifact: artifact, height: context.height))
        context.emit(MarketplaceEvent.versionPublished(id, version: algorithm.version, artifact: artifact))
        if wasReviewed { context.emit(MarketplaceEvent.statusChanged(id, to: .pendingReview, by: actor)) }
    }

    /// Moderator transitions: approve (PendingReview → Active), send back to review.
    /// - Throws: `.notModerator`, `.unknownAlgorithm`, `.wrongStatus`. Emits `.statusChanged`.
    func moderate(_ id: Identifier<Algorithm>, from allowed: [Algorithm.Status], to target: Algorithm.Status,
                  by actor: AccountID, context: inout CallContext) throws(MarketplaceError) {
        guard Roles.has(.moderator, actor, in: context) else { throw .notModerator(actor) }
        var algorithm = try existing(id, context)
        guard allowed.contains(algorithm.status) else { throw .wrongStatus(id, status: algorithm.status, expected: allowed[0]) }
        algorithm.status = target
        context.set(Marketplace.algorithms, id, algorithm)
        context.emit(MarketplaceEvent.statusChanged(id, to: target, by: actor))
    }

    /// Creator (or moderator) toggles Active ⇄ Inactive.
    /// - Throws: `.unknownAlgorithm`, `.notCreatorOrModerator`, `.wrongStatus`. Emits `.statusChanged`.
    func toggle(_ id: Identifier<Algorithm>, from: Algorithm.Status, to target: Algorithm.Status,
                by actor: AccountID, context: inout CallContext) throws(MarketplaceError) {
        var algorithm = try existing(id, context)
        try requireCreatorOrModerator(algorithm, id, actor, context)
        guard algorithm.status == from else { throw .wrongStatus(id, status: algorithm.status, expected: from) }
        algorithm.status = target
        context.set(Marketplace.algorithms, id, algorithm)
        context.emit(MarketplaceEvent.statusChanged(id, to: target, by: actor))
    }

    /// - Throws: `.unknownAlgorithm`, `.notCreatorOrModerator`. Emits `.priceChanged`.
    func setPrice(_ id: Identifier<Algorithm>, price: Amount, deviceFee: Amount, by actor: AccountID, context: inout CallContext) throws(MarketplaceError) {
        var algorithm = try existing(id, context)
        try requireCreatorOrModerator(algorithm, id, actor, context)
        algorithm.draft.price = price
        algorithm.draft.deviceFee = deviceFee
        context.set(Marketplace.algorithms, id, algorithm)
        context.emit(MarketplaceEvent.priceChanged(id, price: price, deviceFee: deviceFee))
    }

    /// Moderator only; the proceeds go with the algorithm.
    /// - Throws: `.notModerator`, `.unknownAlgorithm`, `.sameCreator`, `.tooManyAlgorithms`. Emits (V2, when
    ///   there are proceeds) `.released` and `.proceedsWithdrawn` to the previous creator, then `.creatorChanged`.
    func changeCreator(_ id: Identifier<Algorithm>, to newCreator: AccountID, by actor: AccountID, context: inout CallContext) throws(MarketplaceError) {
        guard Roles.has(.moderator, actor, in: context) else { throw .notModerator(actor) }
        var algorithm = try existing(id, context)
        let previous = algorithm.creator
        guard previous != newCreator else { throw .sameCreator(id) }
        var owned = context.get(Marketplace.byCreator, newCreator) ?? []
        guard owned.count < Marketplace.algorithmsPerCreatorMax else {
            throw .tooManyAlgorithms(creator: newCreator, max: Marketplace.algorithmsPerCreatorMax)
        }
        owned.append(id)
        let remaining = (context.get(Marketplace.byCreator, previous) ?? []).filter { $0 != id }
        if settlesProceedsOnCreatorChange && !algorithm.proceeds.isZero {
            // Commit: the escrow holds exactly the proceeds (an invariant), so the release cannot fail.
            let earned = algorithm.proceeds
            do { try Balances.release(earned, from: Marketplace.escrow(id), to: previous, context: &context) } catch { throw .balances(error) }
            algorithm.proceeds = .zero
            context.emit(MarketplaceEvent.proceedsWithdrawn(id, creator: previous, amount: earned))
        }
        algorithm.creator = newCreator
        context.set(Marketplace.algorithms, id, algorithm)
        context.set(Marketplace.byCreator, newCreator, owned)
        context.set(Marketplace.byCreator, previous, remaining.isEmpty ? nil : remaining)
        context.emit(MarketplaceEvent.creatorChanged(id, from: previous, to: newCreator))
    }

    /// Pays the listed price into the algorithm's escrow, once per buyer.
    /// - Throws (in order): `.unknownAlgorithm`, `.notForSale`, `.ownAlgorithm`,
    ///   `.alreadyPurchased`, `.priceAboveLimit`, `.balances(.insufficientBalance)`.
    ///   Emits `.escrowed`, `.purchased`.
    func purchase(_ id: Identifier<Algorithm>, maxPrice: Amount, by buyer: AccountID, context: inout CallContext) throws(MarketplaceError) {
        var algorithm = try existing(id, context)
        guard algorithm.status == .active else { throw .notForSale(id, status: algorithm.status) }
        guard algorithm.creator != buyer else { throw .ownAlgorithm(id) }
        guard Marketplace.purchase(id, by: buyer, in: context) == nil else { throw .alreadyPurchased(id, buyer: buyer) }
        let price = algorithm.draft.price
        guard price <= maxPrice else { throw .priceAboveLimit(id, price: price, limit: maxPrice) }
        guard let proceeds = algorithm.proceeds.adding(price) else { throw .balances(.issuanceOverflow) }
        if !price.isZero {
            do { try Balances.deposit(price, from: buyer, into: Marketplace.escrow(id), context: &context) } catch { throw .balances(error) }
        }
        algorithm.proceeds = proceeds
        algorithm.purchases += 1
        context.set(Marketplace.algorithms, id, algorithm)
        context.set(Marketplace.purchases, Pair(id, buyer), Purchase(price: price, height: context.height, forced: false))
        context.emit(MarketplaceEvent.purchased(id, buyer: buyer, price: price))
    }

    /// Grants `buyer` the algorithm without payment (seed 000 `forceBuy`). Moderator only.
    /// - Throws: `.notModerator`, `.unknownAlgorithm`, `.alreadyPurchased`. Emits `.forceBought`.
    func forceBuy(_ id: Identifier<Algorithm>, for buyer: AccountID, by actor: AccountID, context: inout CallContext) throws(MarketplaceError) {
        guard Roles.has(.moderator, actor, in: context) else { throw .notModerator(actor) }
        _ = try existing(id, context)
        guard Marketplace.purchase(id, by: buyer, in: context) == nil else { throw .alreadyPurchased(id, buyer: buyer) }
        context.set(Marketplace.purchases, Pair(id, buyer), Purchase(price: .zero, height: context.height, forced: true))
        context.emit(MarketplaceEvent.forceBought(id, buyer: buyer, by: actor))
    }

    /// Pays all proceeds to the creator.
    /// - Throws: `.unknownAlgorithm`, `.notCreator`, `.noProceeds`. Emits `.released`, `.proceedsWithdrawn`.
    func withdrawProceeds(_ id: Identifier<Algorithm>, by actor: AccountID, context: inout CallContext) throws(MarketplaceError) {
        var algorithm = try existing(id, context)
        guard algorithm.creator == actor else { throw .notCreator(id, account: actor) }
        let amount = algorithm.proceeds
        guard !amount.isZero else { throw .noProceeds(id) }
        do { try Balances.release(amount, from: Marketplace.escrow(id), to: actor, context: &context) } catch { throw .balances(error) }
        algorithm.proceeds = .zero
        context.set(Marketplace.algorithms, id, algorithm)
        context.emit(MarketplaceEvent.proceedsWithdrawn(id, creator: actor, amount: amount))
    }

    /// Counts a download by the creator or a buyer.
    /// - Throws: `.unknownAlgorithm`, `.notAllowedToDownload`. Emits `.downloaded`.
    func recordDownload(_ id: Identifier<Algorithm>, by actor: AccountID, context: inout CallContext) throws(MarketplaceError) {
        var algorithm = try existing(id, context)
        guard algorithm.creator == actor || Marketplace.purchase(id, by: actor, in: context) != nil else {
            throw .notAllowedToDownload(id, account: actor)
        }
        algorithm.downloads += 1
        context.set(Marketplace.algorithms, id, algorithm)
        context.emit(MarketplaceEvent.downloaded(id, by: actor))
    }

    private func existing(_ id: Identifier<Algorithm>, _ context: CallContext) throws(MarketplaceError) -> Algorithm {
        guard let algorithm = Marketplace.algorithm(id, in: context) else { throw .unknownAlgorithm(id) }
        return algorithm
    }

    private func requireCreatorOrModerator(_ algorithm: Algorithm, _ id: Identifier<Algorithm>, _ actor: AccountID,
                                           _ context: CallContext) throws(MarketplaceError) {
        guard algorithm.creator == actor || Roles.has(.moderator, actor, in: context) else {
            throw .notCreatorOrModerator(id, account: actor)
        }
    }

    /// Each algorithm's escrow equals its proceeds; every algorithm is listed under its creator.
    static func invariantViolations(in context: CallContext) -> [String] {
        var problems: [String] = []
        var escrows = Dictionary(uniqueKeysWithValues: Balances.escrows(of: .marketplace, in: context))
        for (id, algorithm) in context.entries(Marketplace.algorithms) {
            let held = escrows.removeValue(forKey: Marketplace.escrow(id)) ?? .zero
            if held != algorithm.proceeds { problems.append("algorithm \(id) has proceeds \(algorithm.proceeds), its escrow holds \(held)") }
            if !(context.get(Marketplace.byCreator, algorithm.creator) ?? []).contains(id) {
                problems.append("algorithm \(id) is missing from its creator's list")
            }
        }
        for (escrow, amount) in escrows { problems.append("\(escrow) holds \(amount) for no algorithm") }
        return problems
    }
}
