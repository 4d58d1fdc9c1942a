import DMLCore
import DMLNode
import DMLStore
import Foundation
import Logging
import ServiceLifecycle
import SQLKit

/// The PostgreSQL advisory lock that makes one process the sequencer. It is a session lock on
/// a connection of its own: held while that connection lives, released by PostgreSQL the
/// moment the process dies or the connection drops, so a waiting process can take over.
///
/// The key is derived from the schema, so chains in different schemas of one database (tests,
/// staging beside production) have separate sequencers.
public final class SequencerLock: Sendable {
    let connection: DatabaseConnection
    public let key: Int64

    private init(connection: DatabaseConnection, key: Int64) {
        self.connection = connection
        self.key = key
    }

    /// A lock connection for the chain at `location` (PostgreSQL only).
    public static func open(_ location: DatabaseLocation, logger: Logger) async throws -> SequencerLock {
        guard case .postgres(_, let schema) = location else { throw StoreError(.unavailable, "the sequencer lock needs PostgreSQL") }
        let digest = Hash256.of(Array("dml-sequencer:\(schema ?? "public")".utf8)).bytes
        let key = digest.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
        return SequencerLock(connection: try await DatabaseConnection.open(location, logger: logger), key: key)
    }

    /// Takes the lock if it is free; never waits.
    public func tryAcquire() async throws -> Bool {
        let row = try await connection.sql.raw("SELECT pg_try_advisory_lock(\(bind: key)) AS locked").first()
        return try row?.decode(column: "locked", as: Bool.self) ?? false
    }

    /// Whether the connection that holds the lock still answers.
    public func isAlive() async -> Bool {
        (try? await connection.sql.raw("SELECT 1 AS one").first()) != nil
    }

    public func close() async { await connection.close() }
}

/// Runs beside the HTTP server. While this process sequences it feeds the shared inbox (writes
/// that other processes queued) into the sequencer and checks that it still holds the lock;
/// while it follows, it tries the lock every `interval` and, on winning it, restores the chain
/// from the log and becomes the sequencer.
///
/// If the lock's connection is lost while sequencing, another process may already have taken
/// over: this one stops serving at once (`onLostLock`) rather than write a competing block.
public struct SequencerElection: Service {
    let access: LedgerAccess
    let lock: SequencerLock?
    let location: DatabaseLocation
    let interval: Duration
    let ledgerConfiguration: LedgerService.Configuration
    let logger: Logger
    let onLostLock: @Sendable () async -> Void

    public init(access: LedgerAccess, lock: SequencerLock?, location: DatabaseLocation, interval: Duration = .milliseconds(500),
                ledgerConfiguration: LedgerService.Configuration = .init(), logger: Logger,
                onLostLock: @escaping @Sendable () async -> Void) {
        self.ledgerConfiguration = ledgerConfiguration
        self.access = access
        self.lock = lock
        self.location = location
        self.interval = interval
        self.logger = logger
        self.onLostLock = onLostLock
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await loop() }
    }

    private func loop() async {
        var lastLockCheck = ContinuousClock.now
        while !Task.isCancelled {
            if let service = access.service {
                do {
                    if try await InboxPump.pumpOnce(service: service, log: access.log) > 0 { continue }
                } catch {
                    logger.warning("inbox: \(error)")
                }
                if let lock, ContinuousClock.now - lastLockCheck >= interval {
                    lastLockCheck = .now
                    if await !lock.isAlive() {
                        logger.critical("lost the sequencer lock's connection; stopping so that another process sequences alone")
                        await onLostLock()
                        return
                    }
                }
                try? await Task.sleep(for: .milliseconds(20))
            } else if let lock {
                do {
                    if try await lock.tryAcquire() {
                        await takeOver()
                        continue
                    }
                } catch {
                    logger.warning("cannot ask for the sequencer lock: \(error)")
                }
                try? await Task.sleep(for: interval)
            } else {
                return
            }
        }
    }

    /// Restores the chain from the log (every block the last sequencer committed) and sequences it.
    private func takeOver() async {
        do {
            let chain = try await LocalChain.open(location, configuration: ledgerConfiguration, logger: logger)
            await access.promote(to: chain)
        } catch {
            logger.critical("won the sequencer lock but could not open the chain: \(error); stopping")
            await onLostLock()
        }
    }
}
