import DMLCore
import DMLLedger
import DMLNode
import DMLStore
import Foundation
import Logging
import Synchronization

/// The ledger as this process sees it. Exactly one process sequences (it holds the sequencer
/// lock, or it is alone on SQLite); the others follow the shared log and queue their writes in
/// its inbox. A follower becomes the sequencer when it wins the lock (`SequencerElection`).
///
/// Routes never ask which: they read state and submit transactions here.
public final class LedgerAccess: Sendable {
    enum Mode: Sendable {
        case sequencing(LocalChain)
        case following(LedgerFollower)
    }

    private let mode: Mutex<Mode>
    /// The log every reader of blocks uses (the indexer, block and event routes).
    public let log: BlockLog
    public let chainID: Hash256
    public let spec: ChainSpec
    let logger: Logger
    /// How long a queued write is waited for before the client is told to look it up later.
    static let queuedWaitSeconds: Double = 30

    /// A process that sequences: the chain's own log serves reads too.
    public init(sequencing chain: LocalChain, logger: Logger) {
        mode = Mutex(.sequencing(chain))
        log = chain.log
        chainID = chain.service.chainID
        spec = chain.service.spec
        self.logger = logger
    }

    /// A process that follows the log another process writes.
    public init(following follower: LedgerFollower, logger: Logger) async {
        mode = Mutex(.following(follower))
        log = follower.log
        let ledger = await follower.ledger
        chainID = ledger.chainID
        spec = ledger.spec
        self.logger = logger
    }

    var current: Mode { mode.withLock { $0 } }

    public var isSequencer: Bool { if case .sequencing = current { true } else { false } }

    /// The sequencer, when this process is it.
    var service: LedgerService? { if case .sequencing(let chain) = current { chain.service } else { nil } }

    /// Becomes the sequencer with `chain` (restored from the log after winning the lock).
    func promote(to chain: LocalChain) async {
        // The follower's log stays open: it is `log`, which the indexer and the block routes read.
        mode.withLock { $0 = .sequencing(chain) }
        let height = await chain.service.head.height
        logger.info("this process now sequences the chain", metadata: ["height": "\(height)"])
    }

    /// Runs `body` on the current state.
    public func reading<Result: Sendable>(_ body: @Sendable (CallContext) -> Result) async -> Result {
        switch current {
        case .sequencing(let chain): await chain.service.reading(body)
        case .following(let follower): await follower.reading(body)
        }
    }

    /// Reads after catching up with the log (a follower may be a moment behind it).
    func readingFresh<Result: Sendable>(_ body: @Sendable (CallContext) -> Result) async -> Result {
        if case .following(let follower) = current { _ = try? await follower.refresh() }
        return await reading(body)
    }

    public func headHeight() async -> UInt64 {
        switch current {
        case .sequencing(let chain): await chain.service.head.height
        case .following(let follower): await follower.ledger.head.height
        }
    }

    /// Submits a signed transaction and waits until its block is durable: straight to the
    /// sequencer here, or through the shared inbox to the process that sequences.
    func submit(_ transaction: SignedTransaction) async throws(APIError) -> LedgerService.Inclusion {
        switch current {
        case .sequencing(let chain):
            switch await chain.service.submit(transaction) {
            case .success(let inclusion): return inclusion
            case .failure(let error): throw APIError(submit: error)
            }
        case .following(let follower):
            return try await submitThroughInbox(transaction, follower: follower)
        }
    }

    private func submitThroughInbox(_ transaction: SignedTransaction, follower: LedgerFollower) async throws(APIError) -> LedgerService.Inclusion {
        let row: Int64
        do { row = try await log.enqueue(transaction) } catch {
            throw APIError(.serviceUnavailable, "ledger.store_failed", "could not queue the transaction: \(error)")
        }
        let deadline = Date().addingTimeInterval(Self.queuedWaitSeconds)
        while Date() < deadline {
            switch try? await log.inboxOutcome(row) {
            case .included(let height)?:
                return try await inclusion(of: transaction, at: height, follower: follower)
            case .refused(let code, let message)?:
                throw APIError(APIError.status(of: code), code, message, details: ["ledger": "refused"])
            case .pending?, nil:
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        throw APIError(.serviceUnavailable, "ledger.queued",
                       "the transaction is queued but not yet in a block; look it up later by its hash",
                       details: ["hash": transaction.hash.hex])
    }

    /// Where a queued transaction landed, once this process has replayed its block (so the
    /// caller's next read sees its own write).
    private func inclusion(of transaction: SignedTransaction, at height: UInt64, follower: LedgerFollower) async throws(APIError) -> LedgerService.Inclusion {
        // Catch up for read-your-writes, but never wait forever: the receipt comes from the log.
        let deadline = Date().addingTimeInterval(5)
        while (try? await follower.refresh()).map({ $0 < height }) ?? true, Date() < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        guard let block = try? await log.block(at: height),
              let index = block.transactions.firstIndex(where: { $0.hash == transaction.hash }) else {
            throw APIError(.internalServerError, "ledger.inconsistent", "the inbox says block \(height) holds the transaction, but it does not")
        }
        let events = block.events.compactMap { record -> Event? in
            if case .transaction(let position) = record.phase, Int(position) == index { record.event } else { nil }
        }
        return LedgerService.Inclusion(height: height, index: index, hash: transaction.hash, events: events)
    }

    /// Stops sequencing or following and closes the logs (with a snapshot when sequencing).
    public func close() async {
        switch current {
        case .sequencing(let chain):
            await chain.close(snapshot: true)
            if chain.log !== log { await log.close() }
        case .following(let follower):
            await follower.close()
        }
    }
}
