import Foundation

/// How contributions travel under secure aggregation: each device's weighted change is
/// clipped to ±clip and quantized (`FixedPoint`), its weight appended as a plain integer word,
/// so that the modular sum decodes to (Σ weighted changes, Σ weights).
public struct SecureEncoding: Sendable {
    public let fixedPoint: FixedPoint
    public let parameterCount: Int

    /// For a plan's rounds: the scale allows `devicesPerRound` contributors, and every device
    /// and the server must use the same one.
    public init(plan: FederatedPlan) throws(SecAggError) {
        guard let settings = plan.secureAggregation else { preconditionFailure("secure encoding for a plan without secure aggregation") }
        fixedPoint = try FixedPoint(clip: settings.clip, maxContributors: plan.devicesPerRound)
        parameterCount = plan.model.parameterCount
    }

    /// The words a device masks: its quantized vector, then its weight.
    public func encode(vector: [Float], weight: UInt32) throws(SecAggError) -> [UInt32] {
        precondition(vector.count == parameterCount)
        return try fixedPoint.quantize(vector) + [weight]
    }

    /// The sum of contributions and the sum of weights from the unmasked modular sum.
    public func decode(_ sum: [UInt32]) -> (vector: [Float], weight: UInt32) {
        precondition(sum.count == parameterCount + 1)
        return (fixedPoint.dequantize(Array(sum.dropLast())), sum[parameterCount])
    }

    /// The length of the masked vector.
    public var vectorLength: Int { parameterCount + 1 }
}

extension FederatedSimulation {
    /// One round of secure aggregation in process, phase by phase as over the network: every
    /// joined device advertises keys and shares them; only `senders` send masked input (the
    /// others drop out after sharing); survivors answer the unmasking request.
    func secureRound(global: [Float], joined: [(device: Int, parameters: [Float], examples: Int, loss: Double)],
                     senders: Set<Int>, round: Int, using generator: inout some RandomNumberGenerator) throws -> [Float] {
        let encoding = try SecureEncoding(plan: plan)
        let config = try SecAggConfig(round: UInt64(round), threshold: plan.minimumDevices, vectorLength: encoding.vectorLength)
        var server = SecAggServer(config: config)
        var clients: [Int: SecAggDevice] = [:]
        for entry in joined {
            let client = try SecAggDevice(id: Self.deviceName(entry.device), config: config, using: &generator)
            try server.receiveAdvertisement(client.advertisement)
            clients[entry.device] = client
        }
        let roster = try server.publishRoster()
        for entry in joined { try server.receiveShares(try clients[entry.device]!.shareKeys(roster: roster, using: &generator)) }
        _ = try server.closeShares()
        for entry in joined where senders.contains(entry.device) {
            let contribution = DeviceRound.contribution(parameters: entry.parameters, global: global, examples: entry.examples,
                                                        plan: plan, using: &generator)
            let words = try encoding.encode(vector: contribution.vector, weight: contribution.weight)
            let delivery = try server.shareDelivery(for: Self.deviceName(entry.device))
            try server.receiveMaskedInput(try clients[entry.device]!.maskInput(words, delivery: delivery))
        }
        let request = try server.requestUnmasking()
        for entry in joined where senders.contains(entry.device) {
            try server.receiveUnmaskingReply(try clients[entry.device]!.unmask(request))
        }
        let result = try server.finish()
        let (sum, weight) = encoding.decode(result.sum)
        guard weight > 0 else { throw SimulationError.secureAggregation("the survivors' weights sum to zero") }
        return ServerRound.apply(sum: sum, weight: Double(weight), to: global)
    }
}
