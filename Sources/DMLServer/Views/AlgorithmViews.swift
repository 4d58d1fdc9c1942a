import DMLBlobs
import DMLCore
import DMLLedger
import Foundation
import Hummingbird
import NIOCore
import SQLKit

struct AlgorithmBody: Decodable {
    let title: String
    let description: String
    let dataRequired: String?
    let tags: [String]?
    let price: String
    let deviceFee: String?
    let artifact: String

    func draft(artifact: ContentAddress) throws(APIError) -> AlgorithmDraft {
        AlgorithmDraft(title: title, description: description, dataRequired: dataRequired ?? "", tags: tags ?? [],
                       price: try Amounts.parse(price, field: "price"),
                       deviceFee: try Amounts.parse(deviceFee ?? "0", field: "deviceFee"), artifact: artifact)
    }
}

struct PriceBody: Decodable { let price: String; let deviceFee: String }
struct VersionBody: Decodable { let artifact: String }
struct ReviewBody: Decodable { let decision: String }
struct PurchaseBody: Decodable { let maxPrice: String }

struct ArtifactView: Codable, Sendable {
    let cid: String
    let size: UInt64
}

struct AlgorithmSummary: Codable, Sendable {
    let id: UInt64
    let creator: String
    let title: String
    let tags: [String]
    let status: String
    let price: String
    let deviceFee: String
    let version: UInt32
    let purchases: UInt64
    let downloads: UInt64
}

/// One algorithm from the ledger's state, with its versions and what the viewer may do.
struct AlgorithmView: Codable, Sendable {
    struct Version: Codable, Sendable {
        let version: UInt32
        let artifact: String
        let height: UInt64
    }

    let id: UInt64
    let creator: String
    let title: String
    let description: String
    let dataRequired: String
    let tags: [String]
    let status: String
    let price: String
    let deviceFee: String
    let version: UInt32
    let artifact: String
    let versions: [Version]
    let purchases: UInt64
    let downloads: UInt64
    let proceeds: String
    /// Whether the signed-in viewer may download it (creator or buyer); absent when anonymous.
    let viewerMayDownload: Bool?

    static let statusNames = ["pending_review", "active", "inactive"]
    static func statusName(_ status: Algorithm.Status) -> String { statusNames[Int(status.rawValue)] }

    /// A content address as text: its CID when it is one, else hex.
    static func text(_ address: ContentAddress) -> String {
        (try? ContentID(bytes: address.bytes))?.description ?? Hex.encode(address.bytes)
    }

    init?(id: Identifier<Algorithm>, viewer: AccountID?, in state: CallContext) {
        guard let algorithm = Marketplace.algorithm(id, in: state) else { return nil }
        self.id = id.rawValue
        creator = algorithm.creator.address
        title = algorithm.draft.title
        description = algorithm.draft.description
        dataRequired = algorithm.draft.dataRequired
        tags = algorithm.draft.tags
        status = Self.statusName(algorithm.status)
        price = String(algorithm.draft.price.baseUnits)
        deviceFee = String(algorithm.draft.deviceFee.baseUnits)
        version = algorithm.version
        artifact = Self.text(algorithm.draft.artifact)
        versions = (1...algorithm.version).compactMap { number in
            Marketplace.version(id, number, in: state).map { Version(version: number, artifact: Self.text($0.artifact), height: $0.height) }
        }
        purchases = algorithm.purchases
        downloads = algorithm.downloads
        proceeds = String(algorithm.proceeds.baseUnits)
        viewerMayDownload = viewer.map { algorithm.creator == $0 || Marketplace.purchase(id, by: $0, in: state) != nil }
    }
}
