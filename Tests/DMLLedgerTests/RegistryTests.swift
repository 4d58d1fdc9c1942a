import DMLCore
@testable import DMLLedger
import Testing

/// A module that exists only in tests: counts calls. v1 adds 1 per call, v2 adds 2.
struct CounterLogic: ModuleLogic {
    static let id = ModuleID(60_001)
    static let counter = StorageMap<AccountID, UInt64>(module: id, map: 0)
    let version: UInt32
    var module: ModuleID { Self.id }

    func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        guard body == [0] else { throw .unknownCall(module, version: version, tag: body.first ?? 255) }
        context.set(Self.counter, origin, (context.get(Self.counter, origin) ?? 0) + UInt64(version))
    }

    static var increment: Call { Call(module: id, body: [0]) }

    static func value(_ account: AccountID, in ledger: Ledger) -> UInt64 {
        ledger.reading { $0.get(counter, account) ?? 0 }
    }
}

@Suite struct RegistryTests {
    static let catalog = ModuleCatalog.standard.adding([CounterLogic(version: 1), CounterLogic(version: 2)])

    @Test func aSuperAdminSchedulesAnUpgradeThatTakesEffectAtItsHeight() throws {
        var chain = TestChain(modules: [.init(.registry, 1), .init(.roles, 1), .init(.balances, 1)])
        let from = chain.ledger.head.height + 3
        let events = try chain.submit(RegistryCall.scheduleUpgrade(module: .balances, version: 2, fromHeight: from).call, as: .alice)
        #expect(events == [RegistryEvent.upgradeScheduled(module: .balances, version: 2, fromHeight: from, by: .alice).event])
        try chain.submit(BalancesCall.transfer(to: .bob, amount: .zero).call, as: .alice)  // height from-1: still v1
        #expect(chain.ledger.head.height == from - 1)
        try chain.submit(BalancesCall.transfer(to: .bob, amount: dml(1)).call, as: .alice)  // height from: v2 active
        #expect(chain.blocks.last!.events.first == EventRecord(phase: .initialization, event: RegistryEvent.activated(module: .balances, version: 2, height: from).event))
        chain.expectRejected(BalancesCall.transfer(to: .bob, amount: .zero).call, as: .alice, .balances(.zeroAmount))
        #expect(chain.ledger.moduleRecords.first { $0.module == .balances }?.version == 2)
        chain.checkInvariants()
    }

    @Test func upgradeRejectionsComeInTheDocumentedOrder() throws {
        var chain = TestChain()
        let height = chain.ledger.head.height
        chain.expectRejected(RegistryCall.scheduleUpgrade(module: .balances, version: 9, fromHeight: 0).call, as: .bob,
                             .registry(.notSuperAdmin(.bob)))
        chain.expectRejected(RegistryCall.scheduleUpgrade(module: .balances, version: 9, fromHeight: 0).call, as: .alice,
                             .registry(.unknownVersion(module: .balances, version: 9)))
        chain.expectRejected(RegistryCall.scheduleUpgrade(module: .balances, version: 2, fromHeight: height + 1).call, as: .alice,
                             .registry(.heightNotInFuture(requested: height + 1, current: height + 1)))
        chain.expectRejected(RegistryCall.scheduleUpgrade(module: .balances, version: 2, fromHeight: height + 9).call, as: .alice,
                             .registry(.alreadyActive(module: .balances, version: 2)))
        try chain.submit(RegistryCall.scheduleUpgrade(module: .balances, version: 1, fromHeight: height + 9).call, as: .alice)
        chain.expectRejected(RegistryCall.scheduleUpgrade(module: .balances, version: 1, fromHeight: height + 20).call, as: .alice,
                             .registry(.upgradeAlreadyScheduled(module: .balances, version: 1, fromHeight: height + 9)))
        chain.expectRejected(RegistryCall.scheduleUpgrade(module: .system, version: 1, fromHeight: height + 20).call, as: .alice,
                             .registry(.unknownVersion(module: .system, version: 1)))
    }

    @Test func aPendingUpgradeCanBeCancelledAndThenNeverHappens() throws {
        var chain = TestChain(modules: [.init(.registry, 1), .init(.roles, 1), .init(.balances, 1)])
        let from = chain.ledger.head.height + 3
        try chain.submit(RegistryCall.scheduleUpgrade(module: .balances, version: 2, fromHeight: from).call, as: .alice)
        chain.expectRejected(RegistryCall.cancelUpgrade(module: .balances).call, as: .bob, .registry(.notSuperAdmin(.bob)))
        let events = try chain.submit(RegistryCall.cancelUpgrade(module: .balances).call, as: .alice)
        #expect(events == [RegistryEvent.upgradeCancelled(module: .balances, version: 2, by: .alice).event])
        chain.expectRejected(RegistryCall.cancelUpgrade(module: .balances).call, as: .alice, .registry(.nothingScheduled(module: .balances)))
        for _ in 0..<3 { try chain.submit(BalancesCall.transfer(to: .bob, amount: .zero).call, as: .alice) }
        #expect(chain.ledger.moduleRecords.first { $0.module == .balances }?.version == 1)
    }

    @Test func anUpgradeAddsAModuleWhoseNamespaceIsClosedUntilThen() throws {
        var chain = TestChain(catalog: Self.catalog)
        chain.expectRejected(CounterLogic.increment, as: .bob, .moduleNotActive(CounterLogic.id))
        let from = chain.ledger.head.height + 3
        try chain.submit(RegistryCall.scheduleUpgrade(module: CounterLogic.id, version: 1, fromHeight: from).call, as: .alice)
        chain.expectRejected(CounterLogic.increment, as: .bob, .moduleNotActive(CounterLogic.id))
        try chain.submit(BalancesCall.transfer(to: .bob, amount: dml(1)).call, as: .alice)
        try chain.submit(CounterLogic.increment, as: .bob)
        #expect(CounterLogic.value(.bob, in: chain.ledger) == 1)
        chain.checkInvariants()
    }

    /// The proof: upgrade a module mid-history to a version with a different rule; a full
    /// replay from genesis applies the old rule to old blocks and the new one after, and reaches
    /// the live ledger's state root.
    @Test func aFullReplayAppliesEachBlocksOwnRuleAndReachesTheLiveRoot() throws {
        var chain = TestChain(catalog: Self.catalog)
        try chain.submit(RegistryCall.scheduleUpgrade(module: CounterLogic.id, version: 1, fromHeight: 2).call, as: .alice)
        for _ in 0..<3 { try chain.submit(CounterLogic.increment, as: .bob) }
        let upgradeAt = chain.ledger.head.height + 2
        try chain.submit(RegistryCall.scheduleUpgrade(module: CounterLogic.id, version: 2, fromHeight: upgradeAt).call, as: .alice)
        for _ in 0..<3 { try chain.submit(CounterLogic.increment, as: .bob) }
        #expect(CounterLogic.value(.bob, in: chain.ledger) == 3 * 1 + 3 * 2)

        var replayed = try Ledger.genesis(chain.ledger.spec, catalog: Self.catalog).0
        for block in chain.blocks.dropFirst() {
            try replayed.replay(block, verified: block.transactions.map { try $0.verified(for: replayed.chainID) })
        }
        #expect(replayed.head.stateRoot == chain.ledger.head.stateRoot)
        #expect(replayed == chain.ledger)

        // Replaying the same blocks under the new rule from the start would not match.
        var wrongRule = try Ledger.genesis(chain.ledger.spec, catalog: ModuleCatalog.standard.adding([CounterLogic(version: 2), NewestRuleEverywhere()])).0
        var mismatch: BlockError?
        for block in chain.blocks.dropFirst() where mismatch == nil {
            do { try wrongRule.replay(block, verified: block.transactions.map(VerifiedTransaction.init(trustingLogged:))) } catch { mismatch = error }
        }
        #expect(mismatch != nil)
    }

    @Test func aChainWhoseActiveVersionThisSoftwareLacksRefusesItsCalls() throws {
        var chain = TestChain(catalog: Self.catalog)
        try chain.submit(RegistryCall.scheduleUpgrade(module: CounterLogic.id, version: 1, fromHeight: 2).call, as: .alice)
        try chain.submit(BalancesCall.transfer(to: .bob, amount: dml(1)).call, as: .alice)
        var older = Ledger(spec: chain.ledger.spec, catalog: .standard, state: chain.ledger.state, head: chain.ledger.head)
        let transaction = try chain.sign(CounterLogic.increment, as: .bob).verified(for: chain.chainID)
        let production = older.produceBlock(timestampMilliseconds: 0, transactions: [transaction])
        #expect(production.rejections.first?.error == .moduleLogicMissing(CounterLogic.id, version: 1))
        #expect(older.invariantViolations().contains { $0.contains("lacks") })
    }
}

/// What a node would run if it ignored the registry's history: v2's rule under number 1.
struct NewestRuleEverywhere: ModuleLogic {
    var module: ModuleID { CounterLogic.id }
    var version: UInt32 { 1 }
    func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        try CounterLogic(version: 2).dispatch(body, origin: origin, context: &context)
    }
}

/// A module that (wrongly) writes into another module's namespace that is not registered.
struct TrespassingLogic: ModuleLogic {
    var module: ModuleID { ModuleID(60_002) }
    var version: UInt32 { 1 }
    func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        context.set(StorageMap<AccountID, UInt64>(module: ModuleID(60_003), map: 0), origin, 1)
    }
}

@Suite struct NamespaceTests {
    /// Only registered modules may write: a write elsewhere is a bug, and it stops the process
    /// before anything reaches a block.
    @Test func writingAnUnregisteredNamespaceStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            var chain = TestChain(catalog: ModuleCatalog.standard.adding([TrespassingLogic()]))
            try chain.submit(RegistryCall.scheduleUpgrade(module: ModuleID(60_002), version: 1, fromHeight: 2).call, as: .alice)
            try chain.submit(Call(module: ModuleID(60_002), body: [0]), as: .bob)
        }
    }
}

/// A test module whose one call emits `count` events.
struct ChattyLogic: ModuleLogic {
    static let id = ModuleID(60_004)
    var module: ModuleID { Self.id }
    var version: UInt32 { 1 }
    func dispatch(_ body: [UInt8], origin: AccountID, context: inout CallContext) throws(TransactionError) {
        let count = Int(body.first ?? 0) * 10_000
        for _ in 0..<count { context.events.append(Event(module: Self.id, body: [])) }
    }
}

@Suite struct BlockLimitTests {
    /// No block may hold more events than a reader accepts: the overflowing transaction is
    /// refused as `blockFull` (to be resent) and the block stays readable.
    @Test func aTransactionWhoseEventsOverflowTheBlockWaitsForTheNext() throws {
        var chain = TestChain(catalog: ModuleCatalog.standard.adding([ChattyLogic()]))
        try chain.submit(RegistryCall.scheduleUpgrade(module: ChattyLogic.id, version: 1, fromHeight: 2).call, as: .alice)
        try chain.submit(TransferFiller.call, as: .bob)
        let first = chain.sign(Call(module: ChattyLogic.id, body: [60]), as: .bob)  // 600 000 events
        let second = chain.sign(Call(module: ChattyLogic.id, body: [60]), as: .carol)
        let outcomes = chain.produce([first, second])
        #expect(outcomes[0] == .success(()))
        #expect(outcomes[1] == .failure(.blockFull(events: 600_000, room: Block.eventCountMax - 600_000)))
        let block = try #require(chain.blocks.last)
        #expect(try Block(canonicalBytes: block.canonicalBytes).events.count == 600_000)
    }
}
