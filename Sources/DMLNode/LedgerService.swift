import DMLCore
import DMLLedger
import DMLStore
import Foundation
import Logging

/// The sequencer: the one owner of the ledger and its log.
///
/// Transactions queue up; a block is cut when `transactionsPerBlockMax` are waiting or
/// `blockIntervalMilliseconds` after the first one arrived. Each batch's signatures are checked
/// on every core while the previous block is being applied and committed; application is
/// sequential; a block is committed durably (one statement) before anyone is told their
/// transaction is in it. If a commit fails, the block is undone in memory and the service stops
/// (fail-stop) until a restart rebuilds the ledger from the log.
public actor LedgerService {
    public struct Configuration: Sendable {
        public var transactionsPerBlockMax = 4_096
        public var blockIntervalMilliseconds = 20
        /// Submissions beyond this many waiting transactions are refused as `.overloaded`.
        public var pendingTransactionsMax = 200_000
        /// A snapshot is written after this many blocks (0 = never).
        public var snapshotIntervalBlocks = 1_000

        public init() {}
    }

    /// Where a transaction landed, once its block is durable.
    public struct Inclusion: Sendable, Equatable {
        public let height: UInt64
        public let index: Int
        public let hash: Hash256
        public let events: [Event]

        public init(height: UInt64, index: Int, hash: Hash256, events: [Event]) {
            self.height = height
            self.index = index
            self.hash = hash
            self.events = events
        }
    }

    public enum SubmitError: Error, Equatable, Sendable, CustomStringConvertible {
        case rejected(TransactionError)
        case overloaded(pending: Int)
        case stopped
        case storeFailed(String)

        public var description: String {
            switch self {
            case .rejected(let error): "rejected: \(error)"
            case .overloaded(let pending): "the sequencer is overloaded (\(pending) waiting); retry later"
            case .stopped: "the sequencer is stopped"
            case .storeFailed(let message): "the block could not be made durable: \(message)"
            }
        }
    }

    public typealias Outcome = Result<Inclusion, SubmitError>

    /// Collects the outcomes of a batch of submissions and resumes its caller once.
    private final class BatchWaiter {
        var outcomes: [Outcome?]
        var remaining: Int
        let continuation: CheckedContinuation<[Outcome], Never>

        init(count: Int, continuation: CheckedContinuation<[Outcome], Never>) {
            outcomes = Array(repeating: nil, count: count)
            remaining = count
            self.continuation = continuation
        }

        func resolve(_ slot: Int, _ outcome: Outcome) {
            outcomes[slot] = outcome
            remaining -= 1
            if remaining == 0 { continuation.resume(returning: outcomes.map { $0! }) }
        }
    }

    private struct Waiting {
        let transaction: SignedTransaction
        let waiter: BatchWaiter
        let slot: Int
    }

    private typealias VerifiedBatch = [Result<VerifiedTransaction, TransactionError>]

    /// The ledger as applied so far. While a block is being committed it already includes that
    /// block; nobody is told their transaction is in it until the commit is durable.
    public private(set) var ledger: Ledger
    public nonisolated let chainID: Hash256
    public nonisolated let spec: ChainSpec
    private let log: BlockLog
    private let configuration: Configuration
    private let clock: @Sendable () -> UInt64
    private let logger: Logger
    private var queue: [Waiting] = []
    private var queueHead = 0
    private var firstQueuedAt: UInt64?
    private var wakeup: CheckedContinuation<Void, Never>?
    private var accepting = true
    /// Set when a commit failed in a way that leaves the log's state uncertain: the service
    /// stops (fail-stop) and a restart rebuilds the ledger from what the log really holds.
    private var failure: String?
    /// Verified batches waiting for the applier; the verifier pauses at `verifiedBatchesMax`.
    private var verifiedBatchesMax = 4
    private var applierProgress: CheckedContinuation<Void, Never>?
    private var committing = false
    private var blocksSinceSnapshot = 0
    private var verifierTask: Task<Void, Never>?
    private var applierTask: Task<Void, Never>?
    private var verifiedBatches: AsyncStream<VerifiedBatch>.Continuation?
    /// The waiters of each verified batch in the stream, in the same order (waiters stay on the actor).
    private var verifiedWaiting: [[Waiting]] = []

    public init(ledger: Ledger, log: BlockLog, configuration: Configuration = Configuration(),
                clock: @escaping @Sendable () -> UInt64 = LedgerService.wallClockMilliseconds,
                logger: Logger = Logger(label: "dml.sequencer")) {
        self.ledger = ledger
        chainID = ledger.chainID
        spec = ledger.spec
        self.log = log
        var configuration = configuration
        configuration.transactionsPerBlockMax = min(max(1, configuration.transactionsPerBlockMax), Block.transactionCountMax)
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    public static let wallClockMilliseconds: @Sendable () -> UInt64 = {
        UInt64(Date().timeIntervalSince1970 * 1000)
    }

    /// Starts the verifier and applier loops.
    public func start() {
        guard verifierTask == nil else { return }
        let (stream, continuation) = AsyncStream.makeStream(of: VerifiedBatch.self)
        verifiedBatches = continuation
        verifierTask = Task { await self.verifierLoop() }
        applierTask = Task { await self.applierLoop(stream) }
    }

    /// Finishes every queued transaction, then stops. Later submissions are refused.
    public func stop() async {
        accepting = false
        wake()
        await verifierTask?.value
        await applierTask?.value
    }

    public var head: BlockHeader { ledger.head }

    /// Transactions submitted and not yet applied: queued for a block, or verified and waiting
    /// for the applier. What the `pendingTransactionsMax` limit counts; a test waits on it to
    /// know its submissions are queued, rather than sleeping.
    public var pendingCount: Int { queue.count - queueHead + verifiedWaiting.reduce(0) { $0 + $1.count } }

    /// Runs `body` on the current state, inside the actor: no copy of the ledger outlives the
    /// call, so the next block never has to copy the state because a reader still holds it.
    public func reading<Result: Sendable>(_ body: @Sendable (CallContext) -> Result) -> Result { ledger.reading(body) }

    // MARK: - Submitting

    /// Submits one transaction; returns once its block is durable.
    public func submit(_ transaction: SignedTransaction) async -> Outcome {
        await submit(batch: [transaction])[0]
    }

    /// Submits transactions in order; returns each one's outcome once all are decided.
    public func submit(batch transactions: [SignedTransaction]) async -> [Outcome] {
        guard !transactions.isEmpty else { return [] }
        if let failure { return transactions.map { _ in .failure(.storeFailed(failure)) } }
        guard accepting, verifierTask != nil else { return transactions.map { _ in .failure(.stopped) } }
        let pending = pendingCount
        guard pending + transactions.count <= configuration.pendingTransactionsMax else {
            return transactions.map { _ in .failure(.overloaded(pending: pending)) }
        }
        return await withCheckedContinuation { continuation in
            let waiter = BatchWaiter(count: transactions.count, continuation: continuation)
            for (slot, transaction) in transactions.enumerated() {
                queue.append(Waiting(transaction: transaction, waiter: waiter, slot: slot))
            }
            if firstQueuedAt == nil { firstQueuedAt = clock() }
            wake()
        }
    }

    private func wake() {
        wakeup?.resume()
        wakeup = nil
    }

    // MARK: - Verifier stage

    private func verifierLoop() async {
        while true {
            // Back-pressure: verify ahead of the applier by a bounded number of batches only.
            while verifiedWaiting.count >= verifiedBatchesMax {
                await withCheckedContinuation { applierProgress = $0 }
            }
            guard let batch = await nextBatch() else { break }
            let transactions = batch.map(\.transaction)
            let results = await ParallelVerifier.verify(transactions, chain: chainID)
            verifiedWaiting.append(batch)
            verifiedBatches?.yield(results)
        }
        verifiedBatches?.finish()
    }

    /// Waits until a block's worth is queued or the interval has passed; `nil` once stopped and drained.
    private func nextBatch() async -> [Waiting]? {
        while true {
            let pending = queue.count - queueHead
            if pending >= configuration.transactionsPerBlockMax || (pending > 0 && !accepting) { return takeBatch() }
            if pending == 0 {
                if !accepting { return nil }
                await withCheckedContinuation { wakeup = $0 }
                continue
            }
            let waited = clock() &- (firstQueuedAt ?? clock())
            if waited >= UInt64(configuration.blockIntervalMilliseconds) { return takeBatch() }
            try? await Task.sleep(for: .milliseconds(Int(UInt64(configuration.blockIntervalMilliseconds) - waited)))
        }
    }

    private func takeBatch() -> [Waiting] {
        let end = min(queue.count, queueHead + configuration.transactionsPerBlockMax)
        let batch = Array(queue[queueHead..<end])
        queueHead = end
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
            firstQueuedAt = nil
        } else {
            if queueHead > 65_536 {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            firstQueuedAt = clock()
        }
        return batch
    }

    // MARK: - Applier stage

    private func applierLoop(_ stream: AsyncStream<VerifiedBatch>) async {
        for await results in stream {
            await applyAndCommit(results, waiting: verifiedWaiting[0])
            verifiedWaiting.removeFirst()
            applierProgress?.resume()
            applierProgress = nil
        }
    }

    private func applyAndCommit(_ results: VerifiedBatch, waiting: [Waiting]) async {
        if let failure {
            for entry in waiting { resolve(entry, .failure(.storeFailed(failure))) }
            return
        }
        var verified: [VerifiedTransaction] = []
        var positions: [Int] = []  // index in batch of each verified transaction
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let transaction):
                verified.append(transaction)
                positions.append(index)
            case .failure(let error):
                resolve(waiting[index], .failure(.rejected(error)))
            }
        }
        guard !verified.isEmpty else { return }
        let previousHead = ledger.head
        let production = ledger.produceBlock(timestampMilliseconds: clock(), transactions: verified)
        var rejected = Set<Int>()
        for (index, error) in production.rejections {
            rejected.insert(index)
            resolve(waiting[positions[index]], .failure(.rejected(error)))
        }
        let block = production.block
        guard !block.isEmpty else {
            ledger.undoLastBlock(production, previousHead: previousHead)
            return
        }
        committing = true
        let committed = await commit(block)
        committing = false
        guard committed else {
            ledger.undoLastBlock(production, previousHead: previousHead)
            for (index, position) in positions.enumerated() where !rejected.contains(index) {
                resolve(waiting[position], .failure(.storeFailed(failure ?? "commit failed")))
            }
            return
        }
        var eventsByTransaction = [[Event]](repeating: [], count: block.transactions.count)
        for record in block.events {
            if case .transaction(let index) = record.phase { eventsByTransaction[Int(index)].append(record.event) }
        }
        var blockIndex = 0
        for (index, position) in positions.enumerated() where !rejected.contains(index) {
            let inclusion = Inclusion(height: block.height, index: blockIndex, hash: verified[index].hash,
                                      events: eventsByTransaction[blockIndex])
            resolve(waiting[position], .success(inclusion))
            blockIndex += 1
        }
        await snapshotIfDue()
    }

    private func resolve(_ waiting: Waiting, _ outcome: Outcome) { waiting.waiter.resolve(waiting.slot, outcome) }

    /// Appends `block`; `false` if it is not in the log. A failed append whose row is there after
    /// all (the connection broke after the commit) counts as committed. Any other failure stops
    /// the service: the log's state is then uncertain until a restart reads it again.
    private func commit(_ block: Block) async -> Bool {
        do {
            try await log.append(block)
            return true
        } catch {
            if let stored = try? await log.block(at: block.height), stored == block { return true }
            failure = "block \(block.height) could not be committed (\(error)); the sequencer stopped, restart it"
            logger.error("\(failure!)")
            accepting = false
            wake()
            return false
        }
    }

    private func snapshotIfDue() async {
        guard configuration.snapshotIntervalBlocks > 0 else { return }
        blocksSinceSnapshot += 1
        guard blocksSinceSnapshot >= configuration.snapshotIntervalBlocks else { return }
        blocksSinceSnapshot = 0
        await writeSnapshot()
    }

    /// Writes a snapshot of the current state (also used at shutdown so restarts are quick).
    /// Never while a block is being committed: a snapshot holds only durable state.
    public func writeSnapshot() async {
        guard !committing, failure == nil else { return }
        let head = ledger.head
        let entries = ledger.state.entries.map { (key: $0.key, value: $0.value) }
        do {
            try await log.saveSnapshot(height: head.height, stateRoot: head.stateRoot, entries: entries)
        } catch {
            // A missing snapshot only makes the next restart slower; the log is intact.
            logger.warning("snapshot at \(head.height) not written: \(error)")
        }
    }
}
