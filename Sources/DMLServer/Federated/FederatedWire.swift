import DMLLearning
import Foundation

/// `POST /v1/federated`.
struct CreateFederatedBody: Decodable, Sendable {
    let plan: FederatedPlan
    let rewardPerDevicePerRound: String
    let deadlineMilliseconds: UInt64
    /// The dataset whose privacy budget the job spends (required when the plan uses DP).
    let dataset: String?
    /// δ of the stated guarantee (default 10⁻⁵).
    let delta: Double?
    /// The requester's own labelled data (CSV, label last, features scaled as the devices'),
    /// used by the coordinator to report accuracy and loss after every round. Never sent to devices.
    let evaluationCSV: String?
    /// The scale applied to the evaluation CSV's features (the digits' pixels: 0.0625).
    let evaluationScale: Float?
}

/// `POST /v1/federated/{id}/exchange`: one step of a device in a round. The device sends what
/// the phase needs once; asking again with the same phase (and no payload) waits for the next step.
struct ExchangeBody: Decodable, Sendable {
    enum Phase: String, Codable, Sendable { case join, shares, update, unmask }
    let round: Int
    let phase: Phase
    let waitSeconds: Int?
    let advertisement: SecAggAdvertisement?
    let shares: SecAggShareUpload?
    /// A plain update: the trained parameters, float32 little-endian, base64.
    let parameters: String?
    let examples: Int?
    let loss: Double?
    let masked: SecAggMaskedInput?
    let unmask: SecAggUnmaskingReply?
}

/// What a device learns from an exchange.
struct ExchangeReply: Encodable, Sendable {
    enum Status: String, Encodable, Sendable {
        /// Not ready yet: ask again with the same phase.
        case wait
        /// Go on to the next step; the reply carries what it needs.
        case go
        /// Your part of this round is over: join the next round.
        case done
        /// You are not part of this round (full, started, or restarted): join `round`.
        case rejoin
        /// The job is over.
        case finished
    }
    var status: Status
    var round: Int
    var phase: String
    var message: String?
    /// On `go` after joining: the global model's weights file, base64.
    var model: String?
    var roster: SecAggRoster?
    var delivery: SecAggShareDelivery?
    var unmaskingRequest: SecAggUnmaskingRequest?
}

/// One recorded round, as reports and `GET /v1/federated/{id}` show it.
struct RoundRecord: Codable, Sendable {
    let round: Int
    let devices: Int
    let dropouts: Int
    let accuracy: Double?
    let loss: Double?
    let trainingLoss: Double
    let model: String
    let seconds: Double
}
