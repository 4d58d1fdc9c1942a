import DMLCore

/// The ledger: a pure, deterministic, synchronous value. It reads no clock, does no I/O and
/// draws no random number; time enters as the block's timestamp. The same blocks applied to the
/// same genesis always give the same state root, which is what makes replay and verification
/// possible.
public struct Ledger: Sendable {
    public let spec: ChainSpec
    public let chainID: Hash256
    public let catalog: ModuleCatalog
    public private(set) var state: StateStore
    public private(set) var head: BlockHeader

    /// A block built by `produceBlock`, and the transactions it refused.
    public struct Production: Sendable {
        public let block: Block
        /// Refused transactions, by their index in the input, with the reason.
        public let rejections: [(index: Int, error: TransactionError)]
        /// What it takes to take the block back if it cannot be made durable.
        public let undo: BlockUndo
    }

    /// Restores a ledger from a state and the header it belongs to (a snapshot).
    public init(spec: ChainSpec, catalog: ModuleCatalog = .standard, state: StateStore, head: BlockHeader) {
        self.spec = spec
        chainID = spec.id
        self.catalog = catalog
        self.state = state
        self.head = head
    }

    /// Starts a chain: the genesis ledger and block 0.
    public static func genesis(_ spec: ChainSpec, catalog: ModuleCatalog = .standard) throws(GenesisError) -> (Ledger, Block) {
        try validate(spec, catalog: catalog)
        var context = CallContext(
            environment: BlockEnvironment(height: 0, timestampMilliseconds: spec.genesisTimestampMilliseconds),
            spec: spec, chainID: spec.id, catalog: catalog)
        context.activateForGenesis(spec.modules)
        Registry.registerAtGenesis(spec.modules, context: &context)
        for admin in spec.superAdmins { Roles.grantAtGenesis(.superAdmin, to: admin, context: &context) }
        for allocation in spec.allocations {
            do {
                try Balances.mint(allocation.amount, to: allocation.account, context: &context)
            } catch {
                throw .allocation(account: allocation.account, error)
            }
            context.emit(BalancesEvent.minted(to: allocation.account, amount: allocation.amount))
        }
        context.state.commitTransaction()
        let root = context.state.sealBlock().root
        let events = context.events.map { EventRecord(phase: .initialization, event: $0) }
        let header = BlockHeader(
            chain: spec.id, height: 0, timestampMilliseconds: spec.genesisTimestampMilliseconds,
            previousHash: .zero, transactionsRoot: Block.transactionsRoot([]), eventsRoot: Block.eventsRoot(events),
            stateRoot: root, transactionCount: 0, eventCount: UInt32(events.count))
        let ledger = Ledger(spec: spec, catalog: catalog, state: context.state, head: header)
        return (ledger, Block(header: header, transactions: [], events: events))
    }

    private static func validate(_ spec: ChainSpec, catalog: ModuleCatalog) throws(GenesisError) {
        var seen: Set<ModuleID> = []
        for module in spec.modules {
            guard seen.insert(module.module).inserted else { throw .duplicateModule(module.module) }
            guard catalog.logic(module.module, version: module.version) != nil else {
                throw .unknownModuleVersion(module.module, version: module.version)
            }
        }
        for required in [ModuleID.registry, .roles, .balances] where !seen.contains(required) {
            throw .missingModule(required)
        }
        guard !spec.superAdmins.isEmpty else { throw .noSuperAdmin }
    }

    // MARK: - Building blocks

    /// Applies `transactions` in order as the next block. Refused transactions are left out and
    /// reported; they change nothing. A timestamp earlier than the parent's is raised to it.
    public mutating func produceBlock(timestampMilliseconds: UInt64, transactions: [VerifiedTransaction]) -> Production {
        precondition(transactions.count <= Block.transactionCountMax, "too many transactions for one block")
        let environment = BlockEnvironment(
            height: head.height + 1, timestampMilliseconds: max(timestampMilliseconds, head.timestampMilliseconds))
        var context = CallContext(environment: environment, spec: spec, chainID: chainID, catalog: catalog)
        swap(&context.state, &state)  // moves the state in without copying it
        defer { swap(&context.state, &state) }

        context.refreshActiveModules()
        Registry.activateDueUpgrades(context: &context)
        context.state.commitTransaction()
        context.refreshActiveModules()
        var events = context.events.map { EventRecord(phase: .initialization, event: $0) }
        context.events.removeAll()

        var accepted: [SignedTransaction] = []
        var acceptedHashes: [Hash256] = []
        var rejections: [(Int, TransactionError)] = []
        accepted.reserveCapacity(transactions.count)
        for (index, transaction) in transactions.enumerated() {
            do throws(TransactionError) {
                try apply(transaction, context: &context)
                // A block never holds more events than a reader accepts: the transaction waits
                // for the next block (a transaction alone over the limit is refused for good).
                guard events.count + context.events.count <= Block.eventCountMax else {
                    throw .blockFull(events: context.events.count, room: Block.eventCountMax - events.count)
                }
                context.state.commitTransaction()
                let phase = EventPhase.transaction(UInt32(accepted.count))
                events.append(contentsOf: context.events.map { EventRecord(phase: phase, event: $0) })
                accepted.append(transaction.transaction)
                acceptedHashes.append(transaction.hash)
            } catch {
                context.state.discardTransaction()
                rejections.append((index, error))
            }
            context.events.removeAll(keepingCapacity: true)
        }
        let (root, undo) = context.state.sealBlock()
        let header = BlockHeader(
            chain: chainID, height: environment.height, timestampMilliseconds: environment.timestampMilliseconds,
            previousHash: head.hash, transactionsRoot: Block.transactionsRoot(acceptedHashes),
            eventsRoot: Block.eventsRoot(events), stateRoot: root,
            transactionCount: UInt32(accepted.count), eventCount: UInt32(events.count))
        head = header
        return Production(block: Block(header: header, transactions: accepted, events: events), rejections: rejections, undo: undo)
    }

    /// The envelope checks, then the module call. Checks in this order: chain, nonce, module
    /// active, logic present, then the module's own checks.
    private func apply(_ transaction: VerifiedTransaction, context: inout CallContext) throws(TransactionError) {
        let payload = transaction.transaction.payload
        guard payload.chain == chainID else { throw .wrongChain(expected: chainID, got: payload.chain) }
        let expected = System.nextNonce(of: payload.signer, in: context)
        guard payload.nonce >= expected else {
            throw .nonceAlreadyUsed(signer: payload.signer, expected: expected, got: payload.nonce)
        }
        guard payload.nonce == expected else { throw .nonceTooHigh(signer: payload.signer, expected: expected, got: payload.nonce) }
        let module = payload.call.module
        guard let version = context.activeVersions[module] else { throw .moduleNotActive(module) }
        guard let logic = catalog.logic(module, version: version) else { throw .moduleLogicMissing(module, version: version) }
        try logic.dispatch(payload.call.body, origin: payload.signer, context: &context)
        precondition(expected < .max, "nonce space of \(payload.signer) exhausted")
        context.set(System.nonces, payload.signer, expected + 1)
    }

    /// Takes back the block just produced (its durable commit failed). Only the latest block
    /// can be undone, and only once.
    public mutating func undoLastBlock(_ production: Production, previousHead: BlockHeader) {
        precondition(head == production.block.header, "only the latest block can be undone")
        state.undo(production.undo)
        head = previousHead
    }

    // MARK: - Replaying blocks

    /// Re-executes `block` on this ledger and checks that it gives exactly the header's roots.
    /// `verified` are the block's transactions with their signatures checked (the caller does
    /// that in parallel); on any mismatch the ledger is left unchanged.
    public mutating func replay(_ block: Block, verified: [VerifiedTransaction]) throws(BlockError) {
        let header = block.header
        try checkLinkage(header)
        guard block.transactions.count <= Block.transactionCountMax else {
            throw .tooManyTransactions(height: header.height, count: block.transactions.count, max: Block.transactionCountMax)
        }
        guard Int(header.transactionCount) == block.transactions.count else {
            throw .countMismatch(height: header.height, what: "transactions", header: header.transactionCount, body: block.transactions.count)
        }
        guard Int(header.eventCount) == block.events.count else {
            throw .countMismatch(height: header.height, what: "events", header: header.eventCount, body: block.events.count)
        }
        precondition(verified.count == block.transactions.count, "verified transactions do not match the block")
        let transactionsRoot = Block.transactionsRoot(verified.map(\.hash))
        guard transactionsRoot == header.transactionsRoot else {
            throw .transactionsRootMismatch(height: header.height, header: header.transactionsRoot, computed: transactionsRoot)
        }
        let eventsRoot = Block.eventsRoot(block.events)
        guard eventsRoot == header.eventsRoot else {
            throw .eventsRootMismatch(height: header.height, header: header.eventsRoot, computed: eventsRoot)
        }
        let previousHead = head
        let production = produceBlock(timestampMilliseconds: header.timestampMilliseconds, transactions: verified)
        if let mismatch = Self.compare(production, with: block) {
            undoLastBlock(production, previousHead: previousHead)
            throw mismatch
        }
        head = header
    }

    private func checkLinkage(_ header: BlockHeader) throws(BlockError) {
        guard header.chain == chainID else { throw .wrongChain(height: header.height, expected: chainID, found: header.chain) }
        guard header.height == head.height + 1 else { throw .heightMismatch(expected: head.height + 1, found: header.height) }
        guard header.previousHash == head.hash else {
            throw .previousHashMismatch(height: header.height, expected: head.hash, found: header.previousHash)
        }
        guard header.timestampMilliseconds >= head.timestampMilliseconds else {
            throw .timestampBeforeParent(height: header.height, parent: head.timestampMilliseconds, found: header.timestampMilliseconds)
        }
    }

    private static func compare(_ production: Production, with block: Block) -> BlockError? {
        let height = block.header.height
        if let (index, error) = production.rejections.first { return .invalidTransaction(height: height, index: index, error) }
        let produced = production.block
        if produced.events != block.events {
            let index = Array(zip(produced.events, block.events)).firstIndex { $0 != $1 } ?? min(produced.events.count, block.events.count)
            return .eventsMismatch(height: height, firstDifference: index)
        }
        if produced.header.stateRoot != block.header.stateRoot {
            return .stateRootMismatch(height: height, header: block.header.stateRoot, computed: produced.header.stateRoot)
        }
        precondition(produced.header == block.header, "headers differ although every part matched")
        return nil
    }

    // MARK: - Reading

    /// Runs `body` with a read-only view of the current state.
    public func reading<Result>(_ body: (CallContext) -> Result) -> Result {
        var context = CallContext(
            environment: BlockEnvironment(height: head.height, timestampMilliseconds: head.timestampMilliseconds),
            spec: spec, chainID: chainID, catalog: catalog)
        context.state = state
        context.refreshActiveModules()
        return body(context)
    }

    public func balance(of account: AccountID) -> AccountBalance { reading { Balances.balance(of: account, in: $0) } }
    public func nextNonce(of account: AccountID) -> UInt64 { reading { System.nextNonce(of: account, in: $0) } }
    public var totalIssuance: Amount { reading { Balances.totalIssuance(in: $0) } }
    public func has(_ role: Role, _ account: AccountID) -> Bool { reading { Roles.has(role, account, in: $0) } }
    public var moduleRecords: [ModuleRecord] { reading { Registry.records(in: $0) } }

    /// Every broken invariant of every active module; empty when the ledger is sound. Its cost
    /// grows with the state: for tests, simulations and `dml ledger verify`, not the hot path.
    public func invariantViolations() -> [String] {
        reading { context in
            context.activeVersions.sorted { $0.key < $1.key }.flatMap { module, version in
                guard let logic = catalog.logic(module, version: version) else {
                    return ["\(module) runs version \(version), which this software lacks"]
                }
                return logic.invariantViolations(in: context).map { "\(module): \($0)" }
            }
        }
    }
}

extension Ledger: Equatable {
    public static func == (lhs: Ledger, rhs: Ledger) -> Bool {
        lhs.chainID == rhs.chainID && lhs.head == rhs.head && lhs.state == rhs.state
    }
}

extension Ledger: CustomStringConvertible {
    /// Short, so that a failing comparison in a test stays readable.
    public var description: String {
        "Ledger(chain \(chainID.short), height \(head.height), state root \(head.stateRoot.short), \(state.entries.count) entries)"
    }
}
