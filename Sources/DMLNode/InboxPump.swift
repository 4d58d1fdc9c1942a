import DMLCore
import DMLLedger
import DMLStore
import Logging

/// Feeds the transaction inbox (rows other processes queued in the shared database) into the
/// sequencer and writes each outcome back, so a producer learns whether its transaction landed.
public enum InboxPump {
    /// Moves one batch; returns how many rows it completed.
    @discardableResult
    public static func pumpOnce(service: LedgerService, log: BlockLog, batchMax: Int = 1_024) async throws -> Int {
        let pending = try await log.pendingInbox(limit: batchMax)
        guard !pending.isEmpty else { return 0 }
        var submitted: [(id: Int64, transaction: SignedTransaction)] = []
        for row in pending {
            switch row.transaction {
            case .success(let transaction): submitted.append((row.id, transaction))
            case .failure(let error): try await log.complete(inbox: row.id, .refused(code: "tx.malformed", message: "\(error)"))
            }
        }
        let outcomes = await service.submit(batch: submitted.map(\.transaction))
        for (row, outcome) in zip(submitted, outcomes) {
            switch outcome {
            case .success(let inclusion): try await log.complete(inbox: row.id, .included(height: inclusion.height))
            case .failure(.rejected(let error)): try await log.complete(inbox: row.id, .refused(code: error.code, message: error.description))
            // Overloaded, stopping or failing to store: the row stays queued for the next round.
            case .failure: continue
            }
        }
        return pending.count
    }

    /// Pumps every `intervalMilliseconds` until cancelled.
    public static func run(service: LedgerService, log: BlockLog, intervalMilliseconds: UInt64 = 50,
                           logger: Logger = Logger(label: "dml.inbox")) async {
        while !Task.isCancelled {
            do {
                if try await pumpOnce(service: service, log: log) > 0 { continue }
            } catch {
                logger.warning("inbox: \(error)")
            }
            try? await Task.sleep(nanoseconds: intervalMilliseconds * 1_000_000)
        }
    }
}
