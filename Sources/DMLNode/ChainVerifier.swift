import DMLCore
import DMLLedger
import DMLStore

/// `dml ledger verify`: re-executes the whole chain from genesis, checking every signature,
/// hash and root, and says exactly where a tampered or corrupted log breaks.
public enum ChainVerifier {
    public struct Report: Sendable {
        public let blocks: Int
        public let transactions: Int
        public let head: BlockHeader
        public let invariantViolations: [String]
    }

    /// Why verification stopped, and where.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// The first height at which the log is wrong (nil if the problem is not in a block).
        public let height: UInt64?
        public let reason: String

        public var description: String {
            if let height { return "the chain breaks at block \(height): \(reason)" }
            return "the chain cannot be verified: \(reason)"
        }
    }

    public static func verify(log: BlockLog, catalog: ModuleCatalog = .standard,
                              progress: (BlockHeader) -> Void = { _ in }) async throws(Failure) -> Report {
        do {
            guard let spec = try await log.chainSpec() else { throw Failure(height: nil, reason: "the log is empty") }
            var (ledger, genesis) = try Ledger.genesis(spec, catalog: catalog)
            let stored: Block?
            do { stored = try await log.block(at: 0) } catch { throw Failure(height: 0, reason: "\(error)") }
            guard let stored else { throw Failure(height: 0, reason: "there is no genesis block") }
            guard stored == genesis else { throw Failure(height: 0, reason: "block 0 is not the genesis of the stored chain spec") }
            var blocks = 1, transactions = 0
            while true {
                let next = ledger.head.height + 1
                let page: [Block]
                do { page = try await log.blocks(from: next, limit: 64) } catch {
                    throw Failure(height: next, reason: "\(error)")
                }
                if page.isEmpty { break }
                for block in page {
                    guard block.height == ledger.head.height + 1 else {
                        throw Failure(height: ledger.head.height + 1, reason: "block is missing; the next stored block is \(block.height)")
                    }
                    do {
                        let verified = try await LedgerRestore.verifiedTransactions(of: block, chain: ledger.chainID, checkSignatures: true)
                        try ledger.replay(block, verified: verified)
                    } catch {
                        throw Failure(height: error.height, reason: error.description)
                    }
                    blocks += 1
                    transactions += block.transactions.count
                    progress(block.header)
                }
            }
            return Report(blocks: blocks, transactions: transactions, head: ledger.head,
                          invariantViolations: ledger.invariantViolations())
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(height: nil, reason: "\(error)")
        }
    }
}
