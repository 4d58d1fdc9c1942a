import DMLCore

/// Marketplace: algorithms for sale (seed 000 `DmlMarketplace`/`Algo`, seed 001 algorithms).
///
/// ```
///   publish ──▶ PendingReview ──approve (moderator)──▶ Active ⇄ Inactive (creator or moderator)
///                     ▲                                  │
///                     └─── sendToReview (moderator), publishVersion (creator)
/// ```
///
/// A purchase pays the listed price (never a price the buyer picks) into the algorithm's
/// escrow, once per buyer; the creator withdraws the proceeds. Moderators may force-buy
/// (grant without payment) and change an algorithm's creator. Every version's artifact address
/// is kept.
///
/// Invariant: each algorithm's escrow equals its unwithdrawn proceeds.
public enum Marketplace {
    public static let titleBytesMax = 200
    public static let descriptionBytesMax = 8_192
    public static let dataRequiredBytesMax = 2_048
    public static let tagsMax = 16
    public static let tagBytesMax = 32
    public static let algorithmsPerCreatorMax = 1_000

    static let algorithms = StorageMap<Identifier<Algorithm>, Algorithm>(module: .marketplace, map: 0)
    static let nextAlgorithm = StorageMap<Unit, Identifier<Algorithm>>(module: .marketplace, map: 1)
    static let versions = StorageMap<Pair<Identifier<Algorithm>, UInt32>, AlgorithmVersion>(module: .marketplace, map: 2)
    static let purchases = StorageMap<Pair<Identifier<Algorithm>, AccountID>, Purchase>(module: .marketplace, map: 3)
    static let byCreator = StorageMap<AccountID, [Identifier<Algorithm>]>(module: .marketplace, map: 4)

    public static func escrow(_ id: Identifier<Algorithm>) -> EscrowID { EscrowID(module: .marketplace, id: id.rawValue) }

    public static func algorithm(_ id: Identifier<Algorithm>, in context: CallContext) -> Algorithm? { context.get(algorithms, id) }

    public static func version(_ id: Identifier<Algorithm>, _ version: UInt32, in context: CallContext) -> AlgorithmVersion? {
        context.get(versions, Pair(id, version))
    }

    public static func purchase(_ id: Identifier<Algorithm>, by buyer: AccountID, in context: CallContext) -> Purchase? {
        context.get(purchases, Pair(id, buyer))
    }

    /// A page of `creator`'s algorithms, oldest first, and how many there are in all.
    public static func algorithms(by creator: AccountID, offset: Int, limit: Int, in context: CallContext)
        -> (page: [(Identifier<Algorithm>, Algorithm)], total: Int) {
        let ids = context.get(byCreator, creator) ?? []
        let page = ids.dropFirst(max(0, offset)).prefix(max(0, limit)).compactMap { id in algorithm(id, in: context).map { (id, $0) } }
        return (page, ids.count)
    }
}
