import DMLCore
import DMLLedger
import DMLStore
import Logging

/// A read-only copy of a chain that another process sequences: it restores from the shared log
/// and then replays each new block as it appears, checking signatures and roots as
/// `dml ledger verify` does. Storage nodes (and later read-only API processes) learn the
/// ledger's state this way.
public actor LedgerFollower {
    public private(set) var ledger: Ledger
    public nonisolated let log: BlockLog
    private let logger: Logger

    private init(ledger: Ledger, log: BlockLog, logger: Logger) {
        self.ledger = ledger
        self.log = log
        self.logger = logger
    }

    /// Opens the chain at `location`, which must already exist.
    public static func open(_ location: DatabaseLocation, catalog: ModuleCatalog = .standard,
                            logger: Logger = Logger(label: "dml.follower")) async throws -> LedgerFollower {
        let log = try await BlockLog.open(location, logger: logger)
        do {
            let (ledger, _) = try await LedgerRestore.open(log: log, catalog: catalog, logger: logger)
            return LedgerFollower(ledger: ledger, log: log, logger: logger)
        } catch {
            await log.close()
            throw error
        }
    }

    /// Replays every block committed since the last call; returns the new head height.
    @discardableResult
    public func refresh() async throws -> UInt64 {
        var copy = ledger
        try await LedgerRestore.replay(log: log, into: &copy, checkSignatures: true) { _ in }
        ledger = copy
        return ledger.head.height
    }

    /// Runs `body` on the current state.
    public func reading<Result: Sendable>(_ body: @Sendable (CallContext) -> Result) -> Result { ledger.reading(body) }

    /// Refreshes every `intervalMilliseconds` until the task is cancelled; a failed refresh is
    /// logged and retried (the sequencer may be mid-commit, or the database briefly away).
    public func follow(intervalMilliseconds: UInt64) async {
        while !Task.isCancelled {
            do {
                try await refresh()
            } catch {
                logger.warning("could not follow the ledger: \(error)")
            }
            try? await Task.sleep(nanoseconds: intervalMilliseconds * 1_000_000)
        }
    }

    public func close() async { await log.close() }
}
