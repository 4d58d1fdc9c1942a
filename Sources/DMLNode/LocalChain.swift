import DMLCore
import DMLLedger
import DMLStore
import Foundation
import Logging

/// A chain on this machine: its log, the ledger restored from it, and a running sequencer.
/// What the command line, the demo, the simulation and the benchmark all start from.
public final class LocalChain: Sendable {
    public let log: BlockLog
    public let service: LedgerService
    public let restore: LedgerRestore.Report

    private init(log: BlockLog, service: LedgerService, restore: LedgerRestore.Report) {
        self.log = log
        self.service = service
        self.restore = restore
    }

    /// Opens the chain at `location`, creating it from `spec` if the log is empty.
    public static func open(
        _ location: DatabaseLocation, spec: ChainSpec? = nil, catalog: ModuleCatalog = .standard,
        configuration: LedgerService.Configuration = .init(),
        clock: @escaping @Sendable () -> UInt64 = LedgerService.wallClockMilliseconds,
        logger: Logger = Logger(label: "dml")
    ) async throws -> LocalChain {
        let log = try await BlockLog.open(location, logger: logger)
        do {
            let (ledger, report) = try await LedgerRestore.open(log: log, spec: spec, catalog: catalog, logger: logger)
            let service = LedgerService(ledger: ledger, log: log, configuration: configuration, clock: clock, logger: logger)
            await service.start()
            return LocalChain(log: log, service: service, restore: report)
        } catch {
            await log.close()
            throw error
        }
    }

    /// Finishes queued work, optionally writes a snapshot, and closes the log.
    public func close(snapshot: Bool = false) async {
        await service.stop()
        if snapshot { await service.writeSnapshot() }
        await log.close()
    }

    /// Signs `call` as `key` with its next nonce and submits it.
    public func submit(_ call: Call, as key: AccountKey) async -> LedgerService.Outcome {
        let account = key.account
        let nonce = await service.reading { System.nextNonce(of: account, in: $0) }
        let transaction = SignedTransaction(chain: service.chainID, key: key, nonce: nonce, call: call)
        return await service.submit(transaction)
    }
}
