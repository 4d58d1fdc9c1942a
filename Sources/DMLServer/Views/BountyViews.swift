import DMLCore
import DMLLedger
import Foundation
import Hummingbird
import SQLKit

struct CreateBountyBody: Decodable {
    let title: String
    let description: String
    let prizes: [String]
    let enrollmentEnd: UInt64
    let submissionEnd: UInt64
    let evaluationDeadline: UInt64
    /// `refund_owner` (default) or `split_among_submitters`.
    let expiryRule: String?
    /// Escrow the prizes now (default true).
    let fund: Bool?

    func draft() throws(APIError) -> BountyDraft {
        guard prizes.count <= Bounties.prizesMax else { throw .invalid("prizes", "at most \(Bounties.prizesMax) prizes") }
        var amounts: [Amount] = []
        for (index, prize) in prizes.enumerated() { amounts.append(try Amounts.parse(prize, field: "prizes[\(index)]")) }
        let rule: BountyDraft.ExpiryRule = switch expiryRule ?? "refund_owner" {
        case "refund_owner": .refundOwner
        case "split_among_submitters": .splitAmongSubmitters
        default: throw .invalid("expiryRule", "refund_owner or split_among_submitters")
        }
        return BountyDraft(title: title, description: description, prizes: amounts, enrollmentEnd: enrollmentEnd,
                           submissionEnd: submissionEnd, evaluationDeadline: evaluationDeadline, expiryRule: rule)
    }
}

struct AmountBody: Decodable { let amount: String }
struct SubmissionBody: Decodable { let artifact: String; let note: String? }
struct WinnersBody: Decodable { let winners: [String] }

struct WriteView: Codable, Sendable {
    let id: UInt64?
    let transaction: TransactionReceipt
}

struct Page<Item: Codable & Sendable>: Codable, Sendable {
    let items: [Item]
    let total: Int
    let limit: Int
    let offset: Int
}

struct BountySummary: Codable, Sendable {
    let id: UInt64
    let owner: String
    let title: String
    let status: String
    let prizePool: String
    let funded: String
    let submissionEnd: UInt64
    let participants: Int
    let submissions: Int
}

struct SubmissionView: Codable, Sendable {
    let participant: String
    let artifact: String
    let note: String
    let height: UInt64
}

/// One bounty, from the ledger's current state.
struct BountyView: Codable, Sendable {
    let id: UInt64
    let owner: String
    let title: String
    let description: String
    let status: String
    let prizes: [String]
    let prizePool: String
    let funded: String
    let enrollmentEnd: UInt64
    let submissionEnd: UInt64
    let evaluationDeadline: UInt64
    let expiryRule: String
    let participants: Int
    let submissions: Int
    let winners: [String]

    static let statusNames = ["pending", "enrollment_open", "enrollment_closed", "submissions_open", "submissions_closed",
                              "evaluated", "paid", "cancelled", "expired"]

    static func statusName(_ status: Bounty.Status) -> String { statusNames[Int(status.rawValue)] }

    init?(id: Identifier<Bounty>, in context: CallContext) {
        guard let bounty = Bounties.bounty(id, in: context) else { return nil }
        self.id = id.rawValue
        owner = bounty.owner.address
        title = bounty.draft.title
        description = bounty.draft.description
        status = Self.statusName(bounty.status)
        prizes = bounty.draft.prizes.map { String($0.baseUnits) }
        prizePool = String(bounty.total.baseUnits)
        funded = String(bounty.funded.baseUnits)
        enrollmentEnd = bounty.draft.enrollmentEnd
        submissionEnd = bounty.draft.submissionEnd
        evaluationDeadline = bounty.draft.evaluationDeadline
        expiryRule = bounty.draft.expiryRule == .refundOwner ? "refund_owner" : "split_among_submitters"
        participants = Int(bounty.participants)
        submissions = Int(bounty.submissions)
        winners = bounty.winners.map(\.address)
    }
}
