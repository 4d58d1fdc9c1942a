import DMLCore
import DMLLedger
import Testing

@Suite struct MarketplaceTests {
    let algorithm = Identifier<Algorithm>(1)
    static let artifact = ContentAddress(digest: Hash256.of(Array("model-v1".utf8)))
    static let artifactV2 = ContentAddress(digest: Hash256.of(Array("model-v2".utf8)))

    static func draft(title: String = "Digit classifier", tags: [String] = ["vision", "mnist"], price: Amount = dml(10)) -> AlgorithmDraft {
        AlgorithmDraft(title: title, description: "Softmax regression on 8×8 digits", dataRequired: "64 pixel intensities",
                       tags: tags, price: price, deviceFee: dml(1), artifact: artifact)
    }

    /// Carol publishes algorithm 1; Dave is a moderator; Alice approves it (super-admin) if `approved`.
    func marketplace(approved: Bool = true, modules: [ChainSpec.ModuleVersion] = ChainSpec.latestModules) throws -> TestChain {
        var chain = TestChain([(.alice, dml(100)), (.bob, dml(98)), (.carol, dml(5))], modules: modules)
        try chain.submit(RolesCall.grant(.moderator, to: .dave).call, as: .alice)
        try chain.submit(MarketplaceCall.publish(Self.draft()).call, as: .carol)
        if approved { try chain.submit(MarketplaceCall.approve(algorithm).call, as: .dave) }
        return chain
    }

    func stored(_ chain: TestChain) -> Algorithm? { chain.ledger.reading { Marketplace.algorithm(algorithm, in: $0) } }

    @Test func publishingListsTheAlgorithmForReviewWithItsFirstVersion() throws {
        var chain = TestChain()
        let events = try chain.submit(MarketplaceCall.publish(Self.draft()).call, as: .carol)
        #expect(events == [MarketplaceEvent.published(algorithm, creator: .carol, artifact: Self.artifact).event])
        let algorithm = try #require(stored(chain))
        #expect(algorithm.status == .pendingReview)
        #expect(algorithm.version == 1)
        #expect(chain.ledger.reading { Marketplace.version(self.algorithm, 1, in: $0) }?.artifact == Self.artifact)
        let listed = chain.ledger.reading { Marketplace.algorithms(by: .carol, offset: 0, limit: 10, in: $0) }
        #expect(listed.total == 1 && listed.page.map(\.0) == [self.algorithm])
    }

    @Test func publishRejectionsComeInTheDocumentedOrder() {
        var chain = TestChain()
        let long = String(repeating: "x", count: 201)
        chain.expectRejected(MarketplaceCall.publish(Self.draft(title: "", tags: Array(repeating: "", count: 20))).call, as: .carol, .marketplace(.titleEmpty))
        chain.expectRejected(MarketplaceCall.publish(Self.draft(title: long, tags: Array(repeating: "", count: 20))).call, as: .carol,
                             .marketplace(.fieldTooLong(field: "title", bytes: 201, max: 200)))
        chain.expectRejected(MarketplaceCall.publish(Self.draft(tags: Array(repeating: "", count: 17))).call, as: .carol,
                             .marketplace(.tooManyTags(count: 17, max: 16)))
        chain.expectRejected(MarketplaceCall.publish(Self.draft(tags: ["ok", ""])).call, as: .carol, .marketplace(.tagEmpty))
        chain.expectRejected(MarketplaceCall.publish(Self.draft(tags: [String(repeating: "t", count: 33)])).call, as: .carol,
                             .marketplace(.fieldTooLong(field: "tag", bytes: 33, max: 32)))
    }

    @Test func onlyModeratorsApproveAndSendBackToReview() throws {
        var chain = try marketplace(approved: false)
        chain.expectRejected(MarketplaceCall.approve(algorithm).call, as: .carol, .marketplace(.notModerator(.carol)))
        chain.expectRejected(MarketplaceCall.approve(Identifier(9)).call, as: .dave, .marketplace(.unknownAlgorithm(Identifier(9))))
        let events = try chain.submit(MarketplaceCall.approve(algorithm).call, as: .dave)
        #expect(events == [MarketplaceEvent.statusChanged(algorithm, to: .active, by: .dave).event])
        chain.expectRejected(MarketplaceCall.approve(algorithm).call, as: .dave,
                             .marketplace(.wrongStatus(algorithm, status: .active, expected: .pendingReview)))
        try chain.submit(MarketplaceCall.sendToReview(algorithm).call, as: .dave)
        #expect(stored(chain)?.status == .pendingReview)
    }

    @Test func theCreatorTogglesActiveAndInactive() throws {
        var chain = try marketplace()
        chain.expectRejected(MarketplaceCall.activate(algorithm).call, as: .carol,
                             .marketplace(.wrongStatus(algorithm, status: .active, expected: .inactive)))
        chain.expectRejected(MarketplaceCall.deactivate(algorithm).call, as: .bob, .marketplace(.notCreatorOrModerator(algorithm, account: .bob)))
        try chain.submit(MarketplaceCall.deactivate(algorithm).call, as: .carol)
        chain.expectRejected(MarketplaceCall.purchase(algorithm, maxPrice: .max).call, as: .bob, .marketplace(.notForSale(algorithm, status: .inactive)))
        try chain.submit(MarketplaceCall.activate(algorithm).call, as: .carol)
        #expect(stored(chain)?.status == .active)
    }

    /// The original let the buyer name the amount; here the listed price is what is paid.
    @Test func aPurchasePaysTheListedPriceIntoEscrowOncePerBuyer() throws {
        var chain = try marketplace()
        let events = try chain.submit(MarketplaceCall.purchase(algorithm, maxPrice: .max).call, as: .bob)
        #expect(events == [
            BalancesEvent.escrowed(from: .bob, escrow: Marketplace.escrow(algorithm), amount: dml(10)).event,
            MarketplaceEvent.purchased(algorithm, buyer: .bob, price: dml(10)).event,
        ])
        #expect(chain.free(.bob) == dml(88))
        #expect(stored(chain)?.purchases == 1)
        #expect(stored(chain)?.proceeds == dml(10))
        chain.expectRejected(MarketplaceCall.purchase(algorithm, maxPrice: .max).call, as: .bob, .marketplace(.alreadyPurchased(algorithm, buyer: .bob)))
        chain.expectRejected(MarketplaceCall.purchase(algorithm, maxPrice: .max).call, as: .carol, .marketplace(.ownAlgorithm(algorithm)))
    }

    @Test func purchaseRejectionsComeInTheDocumentedOrder() throws {
        var chain = try marketplace(approved: false)
        chain.expectRejected(MarketplaceCall.purchase(Identifier(7), maxPrice: .max).call, as: .carol, .marketplace(.unknownAlgorithm(Identifier(7))))
        chain.expectRejected(MarketplaceCall.purchase(algorithm, maxPrice: .max).call, as: .carol, .marketplace(.notForSale(algorithm, status: .pendingReview)))
        try chain.submit(MarketplaceCall.approve(algorithm).call, as: .dave)
        chain.expectRejected(MarketplaceCall.purchase(algorithm, maxPrice: .max).call, as: .carol, .marketplace(.ownAlgorithm(algorithm)))
        try chain.submit(MarketplaceCall.forceBuy(algorithm, buyer: .dave).call, as: .alice)
        chain.expectRejected(MarketplaceCall.purchase(algorithm, maxPrice: .max).call, as: .dave, .marketplace(.alreadyPurchased(algorithm, buyer: .dave)))
        try chain.submit(MarketplaceCall.setPrice(algorithm, price: dml(500), deviceFee: .zero).call, as: .carol)
        // A price raised just before the purchase lands cannot take more than the buyer allowed.
        chain.expectRejected(MarketplaceCall.purchase(algorithm, maxPrice: dml(10)).call, as: .bob,
                             .marketplace(.priceAboveLimit(algorithm, price: dml(500), limit: dml(10))))
        chain.expectRejected(MarketplaceCall.purchase(algorithm, maxPrice: .max).call, as: .bob,
                             .marketplace(.balances(.insufficientBalance(account: .bob, needed: dml(500), free: dml(98)))))
    }

    @Test func theCreatorWithdrawsProceedsAndTheEscrowEmpties() throws {
        var chain = try marketplace()
        try chain.submit(MarketplaceCall.purchase(algorithm, maxPrice: .max).call, as: .bob)
        try chain.submit(MarketplaceCall.purchase(algorithm, maxPrice: .max).call, as: .alice)
        chain.expectRejected(MarketplaceCall.withdrawProceeds(algorithm).call, as: .dave, .marketplace(.notCreator(algorithm, account: .dave)))
        let events = try chain.submit(MarketplaceCall.withdrawProceeds(algorithm).call, as: .carol)
        #expect(events.last == MarketplaceEvent.proceedsWithdrawn(algorithm, creator: .carol, amount: dml(20)).event)
        #expect(chain.free(.carol) == dml(25))
        #expect(chain.ledger.reading { Balances.escrowBalance(Marketplace.escrow(self.algorithm), in: $0) } == .zero)
        chain.expectRejected(MarketplaceCall.withdrawProceeds(algorithm).call, as: .carol, .marketplace(.noProceeds(algorithm)))
    }

    @Test func aModeratorForceBuysWithoutPaymentAndChangesTheCreator() throws {
        var chain = try marketplace()
        chain.expectRejected(MarketplaceCall.forceBuy(algorithm, buyer: .bob).call, as: .bob, .marketplace(.notModerator(.bob)))
        try chain.submit(MarketplaceCall.forceBuy(algorithm, buyer: .bob).call, as: .dave)
        #expect(chain.free(.bob) == dml(98))
        #expect(chain.ledger.reading { Marketplace.purchase(self.algorithm, by: .bob, in: $0) }?.forced == true)
        chain.expectRejected(MarketplaceCall.changeCreator(algorithm, to: .carol).call, as: .dave, .marketplace(.sameCreator(algorithm)))
        let events = try chain.submit(MarketplaceCall.changeCreator(algorithm, to: .bob).call, as: .dave)
        #expect(events == [MarketplaceEvent.creatorChanged(algorithm, from: .carol, to: .bob).event])
        #expect(chain.ledger.reading { Marketplace.algorithms(by: .carol, offset: 0, limit: 5, in: $0) }.total == 0)
        // Later sales are the new creator's.
        try chain.submit(MarketplaceCall.purchase(algorithm, maxPrice: .max).call, as: .alice)
        try chain.submit(MarketplaceCall.withdrawProceeds(algorithm).call, as: .bob)
        #expect(chain.free(.bob) == dml(108))
    }

    /// The attack (issue "Safe among strangers", 2): a moderator hands a listing with proceeds to
    /// itself and withdraws them. From version 2 the proceeds earned go to their creator first.
    @Test func aModeratorCannotTakeACreatorsProceedsByChangingTheCreator() throws {
        var chain = try marketplace()
        try chain.submit(MarketplaceCall.purchase(algorithm, maxPrice: .max).call, as: .alice)
        try chain.submit(MarketplaceCall.purchase(algorithm, maxPrice: .max).call, as: .bob)
        let moderatorBefore = chain.free(.dave), creatorBefore = chain.free(.carol)
        let events = try chain.submit(MarketplaceCall.changeCreator(algorithm, to: .dave).call, as: .dave)
        #expect(events.last == MarketplaceEvent.creatorChanged(algorithm, from: .carol, to: .dave).event)
        #expect(events.contains(MarketplaceEvent.proceedsWithdrawn(algorithm, creator: .carol, amount: dml(20)).event))
        #expect(chain.free(.carol) == creatorBefore.adding(dml(20)))
        chain.expectRejected(MarketplaceCall.withdrawProceeds(algorithm).call, as: .dave, .marketplace(.noProceeds(algorithm)))
        #expect(chain.free(.dave) == moderatorBefore)
        #expect(chain.ledger.reading { Balances.escrowBalance(Marketplace.escrow(self.algorithm), in: $0) } == .zero)
    }

    /// Version 1 stays as it was, so that blocks applied under it replay to the same state.
    @Test func version1HandsTheProceedsOverAsItDid() throws {
        let modules = ChainSpec.latestModules.map { $0.module == .marketplace ? ChainSpec.ModuleVersion(.marketplace, 1) : $0 }
        var chain = try marketplace(modules: modules)
        try chain.submit(MarketplaceCall.purchase(algorithm, maxPrice: .max).call, as: .alice)
        let events = try chain.submit(MarketplaceCall.changeCreator(algorithm, to: .dave).call, as: .dave)
        #expect(events == [MarketplaceEvent.creatorChanged(algorithm, from: .carol, to: .dave).event])
        try chain.submit(MarketplaceCall.withdrawProceeds(algorithm).call, as: .dave)
        #expect(chain.free(.dave) == dml(10))
    }

    @Test func aNewVersionKeepsHistoryAndReturnsToReview() throws {
        var chain = try marketplace()
        chain.expectRejected(MarketplaceCall.publishVersion(algorithm, artifact: Self.artifactV2).call, as: .bob,
                             .marketplace(.notCreator(algorithm, account: .bob)))
        let events = try chain.submit(MarketplaceCall.publishVersion(algorithm, artifact: Self.artifactV2).call, as: .carol)
        #expect(events == [
            MarketplaceEvent.versionPublished(algorithm, version: 2, artifact: Self.artifactV2).event,
            MarketplaceEvent.statusChanged(algorithm, to: .pendingReview, by: .carol).event,
        ])
        #expect(chain.ledger.reading { Marketplace.version(self.algorithm, 1, in: $0) }?.artifact == Self.artifact)
        #expect(chain.ledger.reading { Marketplace.version(self.algorithm, 2, in: $0) }?.artifact == Self.artifactV2)
    }

    @Test func downloadsAreCountedForBuyersAndTheCreatorOnly() throws {
        var chain = try marketplace()
        chain.expectRejected(MarketplaceCall.recordDownload(algorithm).call, as: .bob, .marketplace(.notAllowedToDownload(algorithm, account: .bob)))
        try chain.submit(MarketplaceCall.purchase(algorithm, maxPrice: .max).call, as: .bob)
        try chain.submit(MarketplaceCall.recordDownload(algorithm).call, as: .bob)
        try chain.submit(MarketplaceCall.recordDownload(algorithm).call, as: .carol)
        #expect(stored(chain)?.downloads == 2)
    }

    @Test func listingByCreatorIsPaged() throws {
        var chain = TestChain()
        for index in 0..<5 { try chain.submit(MarketplaceCall.publish(Self.draft(title: "algorithm \(index)")).call, as: .carol) }
        let page = chain.ledger.reading { Marketplace.algorithms(by: .carol, offset: 2, limit: 2, in: $0) }
        #expect(page.total == 5)
        #expect(page.page.map(\.1.draft.title) == ["algorithm 2", "algorithm 3"])
    }
}
