import DMLCore
import DMLLedger
import Foundation

/// Checks transaction signatures on every core at once. Signature checks are the ledger's most
/// expensive step (≈ 64 µs each here) and independent of each other; application, which must be
/// ordered, stays sequential.
public enum ParallelVerifier {
    /// One result per input, in input order.
    public static func verify(
        _ transactions: [SignedTransaction], chain: Hash256, cores: Int = ProcessInfo.processInfo.activeProcessorCount
    ) async -> [Result<VerifiedTransaction, TransactionError>] {
        let chunkCount = max(1, min(cores, transactions.count / 64 + 1))
        guard chunkCount > 1 else { return verifyChunk(transactions[...], chain: chain) }
        let chunkSize = (transactions.count + chunkCount - 1) / chunkCount
        return await withTaskGroup(of: (Int, [Result<VerifiedTransaction, TransactionError>]).self) { group in
            for chunk in 0..<chunkCount {
                let range = (chunk * chunkSize)..<min(transactions.count, (chunk + 1) * chunkSize)
                let slice = transactions[range]
                group.addTask { (chunk, verifyChunk(slice, chain: chain)) }
            }
            var parts = [[Result<VerifiedTransaction, TransactionError>]](repeating: [], count: chunkCount)
            for await (index, part) in group { parts[index] = part }
            return parts.flatMap { $0 }
        }
    }

    private static func verifyChunk(_ transactions: ArraySlice<SignedTransaction>, chain: Hash256) -> [Result<VerifiedTransaction, TransactionError>] {
        transactions.map { transaction in Result { () throws(TransactionError) in try transaction.verified(for: chain) } }
    }
}
