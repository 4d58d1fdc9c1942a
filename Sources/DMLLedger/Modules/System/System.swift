import DMLCore

/// The transaction envelope's own state: each account's next nonce.
///
/// Not callable. A nonce advances only when a transaction is applied, so a refused transaction
/// can be corrected and resent with the same nonce.
public enum System {
    /// account → next nonce (absent = 0).
    static let nonces = StorageMap<AccountID, UInt64>(module: .system, map: 0)

    public static func nextNonce(of account: AccountID, in context: CallContext) -> UInt64 {
        context.get(nonces, account) ?? 0
    }
}
