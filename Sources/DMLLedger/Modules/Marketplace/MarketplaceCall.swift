import DMLCore

/// The calls of the Marketplace module.
public enum MarketplaceCall: ModuleCall, Hashable {
    case publish(AlgorithmDraft)
    case publishVersion(Identifier<Algorithm>, artifact: ContentAddress)
    case approve(Identifier<Algorithm>)
    case sendToReview(Identifier<Algorithm>)
    case activate(Identifier<Algorithm>)
    case deactivate(Identifier<Algorithm>)
    case setPrice(Identifier<Algorithm>, price: Amount, deviceFee: Amount)
    case changeCreator(Identifier<Algorithm>, to: AccountID)
    /// Buy at the listed price, if it is at most `maxPrice` (so a price raised just before the
    /// purchase lands cannot take more than the buyer agreed to).
    case purchase(Identifier<Algorithm>, maxPrice: Amount)
    case forceBuy(Identifier<Algorithm>, buyer: AccountID)
    case withdrawProceeds(Identifier<Algorithm>)
    case recordDownload(Identifier<Algorithm>)

    public static let module = ModuleID.marketplace

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case .publish(let draft): writer.write(UInt8(0)); writer.write(draft)
        case let .publishVersion(id, artifact): writer.write(UInt8(1)); writer.write(id); writer.write(artifact)
        case .approve(let id): writer.write(UInt8(2)); writer.write(id)
        case .sendToReview(let id): writer.write(UInt8(3)); writer.write(id)
        case .activate(let id): writer.write(UInt8(4)); writer.write(id)
        case .deactivate(let id): writer.write(UInt8(5)); writer.write(id)
        case let .setPrice(id, price, deviceFee): writer.write(UInt8(6)); writer.write(id); writer.write(price); writer.write(deviceFee)
        case let .changeCreator(id, to): writer.write(UInt8(7)); writer.write(id); writer.write(to)
        case let .purchase(id, maxPrice): writer.write(UInt8(8)); writer.write(id); writer.write(maxPrice)
        case let .forceBuy(id, buyer): writer.write(UInt8(9)); writer.write(id); writer.write(buyer)
        case .withdrawProceeds(let id): writer.write(UInt8(10)); writer.write(id)
        case .recordDownload(let id): writer.write(UInt8(11)); writer.write(id)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("call tag") {
        case 0: self = .publish(try reader.read())
        case 1: self = .publishVersion(try reader.read(), artifact: try reader.read())
        case 2: self = .approve(try reader.read())
        case 3: self = .sendToReview(try reader.read())
        case 4: self = .activate(try reader.read())
        case 5: self = .deactivate(try reader.read())
        case 6: self = .setPrice(try reader.read(), price: try reader.read(), deviceFee: try reader.read())
        case 7: self = .changeCreator(try reader.read(), to: try reader.read())
        case 8: self = .purchase(try reader.read(), maxPrice: try reader.read())
        case 9: self = .forceBuy(try reader.read(), buyer: try reader.read())
        case 10: self = .withdrawProceeds(try reader.read())
        case 11: self = .recordDownload(try reader.read())
        case let tag: throw .unknownTag(field: "marketplace call", offset: start, tag: UInt64(tag))
        }
    }
}

/// What the Marketplace module reports.
public enum MarketplaceEvent: ModuleEvent, Hashable {
    case published(Identifier<Algorithm>, creator: AccountID, artifact: ContentAddress)
    case versionPublished(Identifier<Algorithm>, version: UInt32, artifact: ContentAddress)
    case statusChanged(Identifier<Algorithm>, to: Algorithm.Status, by: AccountID)
    case priceChanged(Identifier<Algorithm>, price: Amount, deviceFee: Amount)
    case creatorChanged(Identifier<Algorithm>, from: AccountID, to: AccountID)
    case purchased(Identifier<Algorithm>, buyer: AccountID, price: Amount)
    case forceBought(Identifier<Algorithm>, buyer: AccountID, by: AccountID)
    case proceedsWithdrawn(Identifier<Algorithm>, creator: AccountID, amount: Amount)
    case downloaded(Identifier<Algorithm>, by: AccountID)

    public static let module = ModuleID.marketplace

    public func encode(to writer: inout ByteWriter) {
        switch self {
        case let .published(id, creator, artifact): writer.write(UInt8(0)); writer.write(id); writer.write(creator); writer.write(artifact)
        case let .versionPublished(id, version, artifact): writer.write(UInt8(1)); writer.write(id); writer.write(version); writer.write(artifact)
        case let .statusChanged(id, to, by): writer.write(UInt8(2)); writer.write(id); writer.write(to); writer.write(by)
        case let .priceChanged(id, price, fee): writer.write(UInt8(3)); writer.write(id); writer.write(price); writer.write(fee)
        case let .creatorChanged(id, from, to): writer.write(UInt8(4)); writer.write(id); writer.write(from); writer.write(to)
        case let .purchased(id, buyer, price): writer.write(UInt8(5)); writer.write(id); writer.write(buyer); writer.write(price)
        case let .forceBought(id, buyer, by): writer.write(UInt8(6)); writer.write(id); writer.write(buyer); writer.write(by)
        case let .proceedsWithdrawn(id, creator, amount): writer.write(UInt8(7)); writer.write(id); writer.write(creator); writer.write(amount)
        case let .downloaded(id, by): writer.write(UInt8(8)); writer.write(id); writer.write(by)
        }
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        switch try reader.readUInt8("event tag") {
        case 0: self = .published(try reader.read(), creator: try reader.read(), artifact: try reader.read())
        case 1: self = .versionPublished(try reader.read(), version: try reader.readUInt32("version"), artifact: try reader.read())
        case 2: self = .statusChanged(try reader.read(), to: try reader.read(), by: try reader.read())
        case 3: self = .priceChanged(try reader.read(), price: try reader.read(), deviceFee: try reader.read())
        case 4: self = .creatorChanged(try reader.read(), from: try reader.read(), to: try reader.read())
        case 5: self = .purchased(try reader.read(), buyer: try reader.read(), price: try reader.read())
        case 6: self = .forceBought(try reader.read(), buyer: try reader.read(), by: try reader.read())
        case 7: self = .proceedsWithdrawn(try reader.read(), creator: try reader.read(), amount: try reader.read())
        case 8: self = .downloaded(try reader.read(), by: try reader.read())
        case let tag: throw .unknownTag(field: "marketplace event", offset: start, tag: UInt64(tag))
        }
    }
}

/// Why the Marketplace module refused a call.
public enum MarketplaceError: RejectionReason {
    case titleEmpty
    case fieldTooLong(field: String, bytes: Int, max: Int)
    case tooManyTags(count: Int, max: Int)
    case tagEmpty
    case tooManyAlgorithms(creator: AccountID, max: Int)
    case unknownAlgorithm(Identifier<Algorithm>)
    case notCreator(Identifier<Algorithm>, account: AccountID)
    case notModerator(AccountID)
    case notCreatorOrModerator(Identifier<Algorithm>, account: AccountID)
    case wrongStatus(Identifier<Algorithm>, status: Algorithm.Status, expected: Algorithm.Status)
    case sameCreator(Identifier<Algorithm>)
    case notForSale(Identifier<Algorithm>, status: Algorithm.Status)
    case ownAlgorithm(Identifier<Algorithm>)
    case alreadyPurchased(Identifier<Algorithm>, buyer: AccountID)
    case priceAboveLimit(Identifier<Algorithm>, price: Amount, limit: Amount)
    case noProceeds(Identifier<Algorithm>)
    case notAllowedToDownload(Identifier<Algorithm>, account: AccountID)
    case balances(BalancesError)

    public var code: String {
        switch self {
        case .titleEmpty: "marketplace.title_empty"
        case .fieldTooLong: "marketplace.field_too_long"
        case .tooManyTags: "marketplace.too_many_tags"
        case .tagEmpty: "marketplace.tag_empty"
        case .tooManyAlgorithms: "marketplace.too_many_algorithms"
        case .unknownAlgorithm: "marketplace.unknown_algorithm"
        case .notCreator: "marketplace.not_creator"
        case .notModerator: "marketplace.not_moderator"
        case .notCreatorOrModerator: "marketplace.not_creator_or_moderator"
        case .wrongStatus: "marketplace.wrong_status"
        case .sameCreator: "marketplace.same_creator"
        case .notForSale: "marketplace.not_for_sale"
        case .ownAlgorithm: "marketplace.own_algorithm"
        case .alreadyPurchased: "marketplace.already_purchased"
        case .priceAboveLimit: "marketplace.price_above_limit"
        case .noProceeds: "marketplace.no_proceeds"
        case .notAllowedToDownload: "marketplace.not_allowed_to_download"
        case .balances(let error): error.code
        }
    }

    public var description: String {
        switch self {
        case .titleEmpty: "an algorithm needs a title"
        case let .fieldTooLong(field, bytes, max): "\(field) is \(bytes) bytes, at most \(max) allowed"
        case let .tooManyTags(count, max): "\(count) tags, at most \(max) allowed"
        case .tagEmpty: "a tag cannot be empty"
        case let .tooManyAlgorithms(creator, max): "\(creator) already has \(max) algorithms, the most one creator may have"
        case .unknownAlgorithm(let id): "there is no algorithm \(id)"
        case let .notCreator(id, account): "\(account) is not the creator of algorithm \(id)"
        case .notModerator(let account): "\(account) is not a moderator"
        case let .notCreatorOrModerator(id, account): "\(account) is neither the creator of algorithm \(id) nor a moderator"
        case let .wrongStatus(id, status, expected): "algorithm \(id) is \(status), must be \(expected)"
        case .sameCreator(let id): "algorithm \(id) already has that creator"
        case let .notForSale(id, status): "algorithm \(id) is \(status), only active algorithms are sold"
        case .ownAlgorithm(let id): "the creator of algorithm \(id) cannot buy it"
        case let .alreadyPurchased(id, buyer): "\(buyer) already bought algorithm \(id)"
        case let .priceAboveLimit(id, price, limit): "algorithm \(id) costs \(price), more than the \(limit) you allowed"
        case .noProceeds(let id): "algorithm \(id) has no proceeds to withdraw"
        case let .notAllowedToDownload(id, account): "\(account) has not bought algorithm \(id)"
        case .balances(let error): error.description
        }
    }
}
