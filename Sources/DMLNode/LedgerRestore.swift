import DMLCore
import DMLLedger
import DMLStore
import Logging

/// Rebuilds the in-memory ledger from the durable log: the newest snapshot whose root checks
/// out, then every block after it, re-executed and checked against its header.
public enum LedgerRestore {
    /// What a restore did, for logs and the restart benchmark.
    public struct Report: Sendable {
        public let snapshotHeight: UInt64?
        public let replayedBlocks: Int
        public let replayedTransactions: Int
    }

    /// Opens the chain in `log`. If the log is empty, starts it with `spec` (required then).
    public static func open(log: BlockLog, spec newSpec: ChainSpec? = nil, catalog: ModuleCatalog = .standard,
                            logger: Logger = Logger(label: "dml.restore")) async throws -> (Ledger, Report) {
        guard let spec = try await log.chainSpec() else {
            guard let newSpec else {
                throw StoreError(.corrupt, "the log at \(log.location) is empty; create a chain first (dml init)")
            }
            let (ledger, genesis) = try Ledger.genesis(newSpec, catalog: catalog)
            try await log.initialize(spec: newSpec, genesis: genesis)
            return (ledger, Report(snapshotHeight: nil, replayedBlocks: 0, replayedTransactions: 0))
        }
        if let newSpec, newSpec.id != spec.id {
            throw StoreError(.chainMismatch, "the log at \(log.location) holds chain \(spec.id.short), not \(newSpec.id.short)")
        }
        var (ledger, genesis) = try Ledger.genesis(spec, catalog: catalog)
        guard let storedGenesis = try await log.block(at: 0), storedGenesis == genesis else {
            throw StoreError(.corrupt, "block 0 in the log is not the genesis of its chain spec")
        }
        var snapshotHeight: UInt64?
        if let snapshot = try await log.latestSnapshot() {
            if let restored = try await restore(snapshot, spec: spec, catalog: catalog, log: log) {
                ledger = restored
                snapshotHeight = snapshot.height
            } else {
                logger.warning("snapshot at \(snapshot.height) does not match its block; replaying from genesis")
            }
        }
        var blocks = 0, transactions = 0
        try await replay(log: log, into: &ledger, checkSignatures: false) { block in
            blocks += 1
            transactions += block.transactions.count
        }
        return (ledger, Report(snapshotHeight: snapshotHeight, replayedBlocks: blocks, replayedTransactions: transactions))
    }

    /// The ledger in `snapshot`, if its entries hash to the root of the block it claims to follow.
    static func restore(_ snapshot: BlockLog.Snapshot, spec: ChainSpec, catalog: ModuleCatalog, log: BlockLog) async throws -> Ledger? {
        guard let block = try await log.block(at: snapshot.height) else { return nil }
        let state = StateStore(entries: snapshot.entries)
        guard state.root == snapshot.stateRoot, state.root == block.header.stateRoot else { return nil }
        return Ledger(spec: spec, catalog: catalog, state: state, head: block.header)
    }

    /// Re-executes every stored block after `ledger`'s head, in pages. With `checkSignatures`
    /// every signature is checked again (in parallel); a restart trusts its own log's signatures
    /// but still checks every root.
    static func replay(log: BlockLog, into ledger: inout Ledger, checkSignatures: Bool,
                       pageSize: Int = 128, onBlock: (Block) -> Void) async throws {
        while true {
            let page = try await log.blocks(from: ledger.head.height + 1, limit: pageSize)
            if page.isEmpty { return }
            for block in page {
                let verified = try await verifiedTransactions(of: block, chain: ledger.chainID, checkSignatures: checkSignatures)
                try ledger.replay(block, verified: verified)
                onBlock(block)
            }
        }
    }

    static func verifiedTransactions(of block: Block, chain: Hash256, checkSignatures: Bool) async throws(BlockError) -> [VerifiedTransaction] {
        guard checkSignatures else { return block.transactions.map(VerifiedTransaction.init(trustingLogged:)) }
        let results = await ParallelVerifier.verify(block.transactions, chain: chain)
        var verified: [VerifiedTransaction] = []
        verified.reserveCapacity(results.count)
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let transaction): verified.append(transaction)
            case .failure(let error): throw .invalidTransaction(height: block.height, index: index, error)
            }
        }
        return verified
    }
}
