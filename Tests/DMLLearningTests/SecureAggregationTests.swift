import Foundation
import Testing
@testable import DMLLearning

/// One secure-aggregation round in process: real devices and a real server exchanging the real
/// messages, with a seeded generator so that every run is the same.
struct SecAggRound {
    var config: SecAggConfig
    var fixedPoint: FixedPoint
    var server: SecAggServer
    var devices: [SecAggDevice]
    /// Each device's update before and after quantization.
    var updates: [[Float]]
    var inputs: [[UInt32]]
    var generator: SeededXoshiro
    var roster: SecAggRoster?
    /// Every masked input as it reached the server (which keeps only their running sum).
    var maskedInputs: [String: SecAggMaskedInput] = [:]

    /// Devices `device-0` … `device-(n−1)` with updates drawn from [−1.2, 1.2] (some clipped).
    init(seed: UInt64 = 2017, deviceCount: Int = 10, threshold: Int = 7, length: Int = 1000) throws(SecAggError) {
        var generator = SeededXoshiro(seed: seed)
        config = try SecAggConfig(round: 3, threshold: threshold, vectorLength: length)
        fixedPoint = try FixedPoint(clip: 1, maxContributors: deviceCount)
        server = SecAggServer(config: config)
        var devices: [SecAggDevice] = []
        var updates: [[Float]] = []
        var inputs: [[UInt32]] = []
        for index in 0..<deviceCount {
            devices.append(try SecAggDevice(id: "device-\(index)", config: config, using: &generator))
            let update = (0..<length).map { _ in Float.random(in: -1.2...1.2, using: &generator) }
            updates.append(update)
            inputs.append(try fixedPoint.quantize(update))
        }
        self.devices = devices
        self.updates = updates
        self.inputs = inputs
        self.generator = generator
    }

    var ids: [String] { devices.map(\.id) }

    /// Round 0: every device advertises; the server publishes the roster.
    mutating func advertise() throws(SecAggError) {
        for device in devices { try server.receiveAdvertisement(device.advertisement) }
        roster = try server.publishRoster()
    }

    /// Round 1: every device but `dropped` shares; the server closes U2.
    mutating func shareKeys(dropping dropped: Set<String> = []) throws(SecAggError) {
        guard let roster else { preconditionFailure("advertise first") }
        for index in devices.indices where !dropped.contains(devices[index].id) {
            let upload = try devices[index].shareKeys(roster: roster, using: &generator)
            try server.receiveShares(upload)
        }
        _ = try server.closeShares()
    }

    /// Round 2: every member of U2 but `dropped` masks its input and sends it.
    mutating func sendMaskedInputs(dropping dropped: Set<String> = []) throws(SecAggError) {
        for index in devices.indices where server.shareSet.contains(devices[index].id) && !dropped.contains(devices[index].id) {
            let delivery = try server.shareDelivery(for: devices[index].id)
            let masked = try devices[index].maskInput(inputs[index], delivery: delivery)
            maskedInputs[masked.deviceID] = masked
            try server.receiveMaskedInput(masked)
        }
    }

    /// Round 3: the server asks; every survivor but `silent` answers.
    @discardableResult
    mutating func unmask(silent: Set<String> = []) throws(SecAggError) -> SecAggUnmaskingRequest {
        let request = try server.requestUnmasking()
        for index in devices.indices where request.survivors.contains(devices[index].id) && !silent.contains(devices[index].id) {
            let reply = try devices[index].unmask(request)
            try server.receiveUnmaskingReply(reply)
        }
        return request
    }

    /// All four rounds and the sum.
    mutating func run(dropBeforeSharing: Set<String> = [], dropBeforeInput: Set<String> = [],
                      silent: Set<String> = []) throws(SecAggError) -> SecAggResult {
        try advertise()
        try shareKeys(dropping: dropBeforeSharing)
        try sendMaskedInputs(dropping: dropBeforeInput)
        try unmask(silent: silent)
        return try server.finish()
    }

    /// What the round must output: the modular sum of these devices' quantized inputs.
    func plainSum(of survivors: [String]) -> [UInt32] {
        var sum = [UInt32](repeating: 0, count: config.vectorLength)
        for (index, device) in devices.enumerated() where survivors.contains(device.id) {
            for word in sum.indices { sum[word] &+= inputs[index][word] }
        }
        return sum
    }
}

/// The error `body` throws, or nil when it returns: for refusals of calls that mutate.
func secAggError(_ body: () throws -> Void) -> SecAggError? {
    do {
        try body()
        return nil
    } catch {
        return error as? SecAggError
    }
}

@Suite struct SecureAggregationTests {
    // MARK: The sum

    @Test func theUnmaskedSumIsExactlyThePlainSumWhenEveryDeviceStays() throws {
        var round = try SecAggRound()
        let result = try round.run()
        #expect(result.survivors == round.ids)
        #expect(result.dropped.isEmpty)
        #expect(result.sum == round.plainSum(of: round.ids))
        #expect(round.server.phase == .finished)
    }

    @Test func theSumDequantizesToTheSumOfTheClippedUpdates() throws {
        var round = try SecAggRound()
        let result = try round.run()
        let sum = round.fixedPoint.dequantize(result.sum)
        for index in sum.indices {
            let exact = round.updates.reduce(0.0) { $0 + Double(min(max($1[index], -1), 1)) }
            #expect(abs(Double(sum[index]) - exact) <= 10 * round.fixedPoint.precision + 1e-6)
        }
    }

    @Test func devicesDroppingAfterSharingHaveTheirPairwiseMasksRemoved() throws {
        var round = try SecAggRound()
        let result = try round.run(dropBeforeInput: ["device-3", "device-8"])
        #expect(result.dropped == ["device-3", "device-8"])
        #expect(result.survivors.count == 8)
        #expect(result.sum == round.plainSum(of: result.survivors))
    }

    @Test func devicesDroppingBeforeSharingAreLeftOutOfEveryMask() throws {
        var round = try SecAggRound()
        let result = try round.run(dropBeforeSharing: ["device-0", "device-5"], dropBeforeInput: ["device-9"])
        let shared = ["device-1", "device-2", "device-3", "device-4", "device-6", "device-7", "device-8", "device-9"]
        #expect(round.server.shareSet == shared)
        #expect(result.dropped == ["device-9"])
        #expect(result.survivors.count == 7)
        #expect(result.sum == round.plainSum(of: result.survivors))
    }

    @Test func aSurvivorThatNeverRepliesLeavesEnoughShares() throws {
        var round = try SecAggRound()
        let result = try round.run(dropBeforeInput: ["device-1"], silent: ["device-0"])
        #expect(result.survivors.count == 9)
        #expect(result.sum == round.plainSum(of: result.survivors))
    }

    @Test func theSameSeedGivesTheSameRoundAndAnotherSeedAnotherMask() throws {
        var first = try SecAggRound(seed: 5)
        var second = try SecAggRound(seed: 5)
        var third = try SecAggRound(seed: 6)
        _ = try first.run()
        _ = try second.run()
        _ = try third.run()
        #expect(first.maskedInputs == second.maskedInputs)
        #expect(first.maskedInputs["device-0"] != third.maskedInputs["device-0"])
    }

    // MARK: Too few devices

    @Test func fewerThanThresholdAdvertisingStopsTheRound() throws {
        var round = try SecAggRound(deviceCount: 6)
        let refusal = secAggError { try round.advertise() }
        #expect(refusal == .tooFewDevices(phase: .advertiseKeys, count: 6, threshold: 7))
    }

    @Test func fewerThanThresholdSharingStopsTheRound() throws {
        var round = try SecAggRound()
        try round.advertise()
        let error = secAggError { try round.shareKeys(dropping: ["device-0", "device-1", "device-2", "device-3"]) }
        #expect(error == .tooFewDevices(phase: .shareKeys, count: 6, threshold: 7))
    }

    @Test func fewerThanThresholdSurvivorsStopsTheRound() throws {
        var round = try SecAggRound()
        try round.advertise()
        try round.shareKeys()
        try round.sendMaskedInputs(dropping: ["device-2", "device-4", "device-6", "device-9"])
        let refusal = secAggError { try round.unmask() }
        #expect(refusal == .tooFewDevices(phase: .maskedInput, count: 6, threshold: 7))
        #expect(round.server.phase == .maskedInput)
    }

    @Test func fewerThanThresholdRepliesStopsTheRound() throws {
        var round = try SecAggRound()
        try round.advertise()
        try round.shareKeys()
        try round.sendMaskedInputs(dropping: ["device-2"])
        try round.unmask(silent: ["device-0", "device-1", "device-3"])
        let refusal = secAggError { _ = try round.server.finish() }
        #expect(refusal == .tooFewDevices(phase: .unmasking, count: 6, threshold: 7))
    }

    // MARK: Privacy

    /// Everything the server object holds — the roster, the sealed bundles it routed, the
    /// masked inputs it saw, the survivors' replies — still hides one survivor's update: even
    /// after the server rebuilds that survivor's self-mask seed (as it must), the pairwise
    /// masks with the other survivors remain, and the server holds no share of their keys.
    @Test func aSurvivorsUpdateStaysHiddenFromEverythingTheServerHolds() throws {
        var round = try SecAggRound()
        let result = try round.run(dropBeforeInput: ["device-8", "device-9"])
        let server = round.server
        let roster = try #require(server.roster)
        #expect(server.routedShares.values.reduce(0) { $0 + $1.count } == 90)
        #expect(server.replies.count == 8)

        // No reply carries a share of a survivor's masking key.
        for reply in server.replies.values {
            #expect(Set(reply.maskingKeys.keys).isDisjoint(with: result.survivors))
            #expect(Set(reply.maskingKeys.keys) == ["device-8", "device-9"])
        }

        // The server rebuilds device-0's self-mask seed from any 7 replies and removes it.
        let target = "device-0"
        var shares: [ShamirShare] = []
        for (index, device) in roster.devices.enumerated() {
            if let seedShare = server.replies[device.deviceID]?.selfMaskSeeds[target] {
                shares.append(ShamirShare(x: UInt8(index + 1), y: seedShare))
            }
        }
        let seed = try Shamir.combine(shares, threshold: 7)
        var residual = try #require(round.maskedInputs[target]).words()
        MaskGenerator.subtract(seed: seed, round: round.config.round, label: .selfMask, from: &residual)

        let input = round.inputs[0]
        #expect(zip(residual, input).filter { $0 == $1 }.count <= 2)
        let mean = residual.reduce(0.0) { $0 + Double($1) } / Double(residual.count)
        #expect(abs(mean - 2_147_483_648) < 0.1 * 2_147_483_648)
        // Uniform words spread over all 16 top nibbles; the quantized input sits in two
        // (small positive 0x0…, small negative 0xF…).
        #expect(Self.topNibbleCounts(residual).allSatisfy { (25...110).contains($0) })
        #expect(Self.topNibbleCounts(input).filter { $0 > 0 }.count <= 2)
        // The round still produced the right sum from the same holdings.
        #expect(result.sum == round.plainSum(of: result.survivors))
    }

    static func topNibbleCounts(_ words: [UInt32]) -> [Int] {
        var counts = [Int](repeating: 0, count: 16)
        for word in words { counts[Int(word >> 28)] += 1 }
        return counts
    }

    /// A server that claims a survivor dropped — to get its masking key as well as its
    /// self-mask seed, which would unmask its input — is refused, in one request or over two.
    @Test func aDeviceRefusesToRevealBothSecretsOfOneDevice() throws {
        var round = try SecAggRound()
        try round.advertise()
        try round.shareKeys()
        try round.sendMaskedInputs()
        let ids = round.ids
        let everyone = SecAggUnmaskingRequest(round: 3, survivors: ids, dropped: [])
        let withoutFive = SecAggUnmaskingRequest(round: 3, survivors: ids.filter { $0 != "device-5" }, dropped: ["device-5"])
        let bothWays = SecAggUnmaskingRequest(round: 3, survivors: ids, dropped: ["device-5"])

        var device = round.devices[0]
        let bothAtOnce = secAggError { _ = try device.unmask(bothWays) }
        #expect(bothAtOnce == .deviceInBothSets("device-5"))
        let answer = try device.unmask(everyone)
        #expect(answer.maskingKeyShares.isEmpty)
        let bothOverTwo = secAggError { _ = try device.unmask(withoutFive) }
        #expect(bothOverTwo == .wouldRevealBothMasks("device-5"))
        // The refusals changed nothing: a retried request gets the same answer.
        let retried = try device.unmask(everyone)
        #expect(retried == answer)

        var other = round.devices[1]
        let first = try other.unmask(withoutFive)
        #expect(first.maskingKeyShares.map(\.owner) == ["device-5"])
        let seedAfterKey = secAggError { _ = try other.unmask(everyone) }
        #expect(seedAfterKey == .wouldRevealBothMasks("device-5"))
    }

    @Test func aDeviceRefusesToUnmaskASumOfFewerThanThreshold() throws {
        var round = try SecAggRound()
        try round.advertise()
        try round.shareKeys()
        try round.sendMaskedInputs()
        var device = round.devices[0]
        let few = SecAggUnmaskingRequest(round: 3, survivors: Array(round.ids.prefix(6)), dropped: Array(round.ids.suffix(4)))
        let tooFew = secAggError { _ = try device.unmask(few) }
        #expect(tooFew == .tooFewDevices(phase: .unmasking, count: 6, threshold: 7))
        let withoutSelf = SecAggUnmaskingRequest(round: 3, survivors: Array(round.ids.dropFirst()), dropped: [])
        let notListed = secAggError { _ = try device.unmask(withoutSelf) }
        #expect(notListed == .selfNotListed(deviceID: "device-0", phase: .unmasking))
        let withStranger = SecAggUnmaskingRequest(round: 3, survivors: round.ids + ["device-x"], dropped: [])
        let stranger = secAggError { _ = try device.unmask(withStranger) }
        #expect(stranger == .unknownDevice("device-x"))
        let lastRound = SecAggUnmaskingRequest(round: 2, survivors: round.ids, dropped: [])
        let stale = secAggError { _ = try device.unmask(lastRound) }
        #expect(stale == .wrongRound(expected: 3, found: 2))
    }

    // MARK: Devices check what the server sends

    @Test func aDeviceRefusesABadRoster() throws {
        var round = try SecAggRound()
        try round.advertise()
        let roster = try #require(round.roster)
        var device = round.devices[2]
        var generator = SeededXoshiro(seed: 9)

        var withoutSelf = roster
        withoutSelf.devices.remove(at: 2)
        let missingSelf = secAggError { _ = try device.shareKeys(roster: withoutSelf, using: &generator) }
        #expect(missingSelf == .ownKeyMissing(deviceID: "device-2"))

        var copiedKey = roster
        copiedKey.devices[4].encryptionPublicKey = copiedKey.devices[3].maskingPublicKey
        let duplicateKey = secAggError { _ = try device.shareKeys(roster: copiedKey, using: &generator) }
        #expect(duplicateKey == .duplicateKey(deviceID: "device-4"))

        var lowOrder = roster
        lowOrder.devices[5].maskingPublicKey = Data(repeating: 0, count: 32)
        let lowOrderKey = secAggError { _ = try device.shareKeys(roster: lowOrder, using: &generator) }
        #expect(lowOrderKey == .invalidPublicKey(deviceID: "device-5"))

        var shuffled = roster
        shuffled.devices.swapAt(0, 1)
        let outOfOrder = secAggError { _ = try device.shareKeys(roster: shuffled, using: &generator) }
        #expect(outOfOrder == .rosterNotInOrder)

        let small = SecAggRoster(round: 3, devices: Array(roster.devices.prefix(6)))
        let tooSmall = secAggError { _ = try device.shareKeys(roster: small, using: &generator) }
        #expect(tooSmall == .tooFewDevices(phase: .shareKeys, count: 6, threshold: 7))

        // Refused rosters left the device waiting for a good one.
        #expect(device.phase == .shareKeys)
        let upload = try device.shareKeys(roster: roster, using: &generator)
        #expect(upload.shares.map(\.recipient) == round.ids.filter { $0 != "device-2" })
    }

    @Test func aTamperedBundleIsCaughtWhenItIsOpened() throws {
        var round = try SecAggRound()
        try round.advertise()
        try round.shareKeys()
        var delivery = try round.server.shareDelivery(for: "device-0")
        let position = try #require(delivery.shares.firstIndex { $0.sender == "device-4" })
        delivery.shares[position].sealedBox[delivery.shares[position].sealedBox.startIndex + 20] ^= 0x01
        var device = round.devices[0]
        _ = try device.maskInput(round.inputs[0], delivery: delivery)
        let request = SecAggUnmaskingRequest(round: 3, survivors: round.ids, dropped: [])
        let refusal = secAggError { _ = try device.unmask(request) }
        #expect(refusal == .shareDecryptionFailed(sender: "device-4"))
    }

    @Test func aDeviceRefusesADeliveryThatLacksABundle() throws {
        var round = try SecAggRound()
        try round.advertise()
        try round.shareKeys()
        var delivery = try round.server.shareDelivery(for: "device-0")
        delivery.shares.removeAll { $0.sender == "device-7" }
        var device = round.devices[0]
        let missingBundle = secAggError { _ = try device.maskInput(round.inputs[0], delivery: delivery) }
        #expect(missingBundle == .missingShare(sender: "device-7", recipient: "device-0"))
        let shortInput = secAggError { _ = try device.maskInput(Array(round.inputs[0].prefix(999)), delivery: delivery) }
        #expect(shortInput == .vectorLengthMismatch(deviceID: "device-0", count: 999, expected: 1000))
    }

    // MARK: The server checks what devices send

    @Test func theServerRefusesDuplicatesAndOutOfTurnMessages() throws {
        var round = try SecAggRound()
        var server = round.server
        let first = round.devices[0].advertisement
        try server.receiveAdvertisement(first)
        let duplicate = secAggError { try server.receiveAdvertisement(first) }
        #expect(duplicate == .duplicateDevice("device-0"))
        var copy = round.devices[1].advertisement
        copy.maskingPublicKey = first.encryptionPublicKey
        let copiedKey = secAggError { try server.receiveAdvertisement(copy) }
        #expect(copiedKey == .duplicateKey(deviceID: "device-1"))
        var nextRound = round.devices[1].advertisement
        nextRound.round = 4
        let staleRound = secAggError { try server.receiveAdvertisement(nextRound) }
        #expect(staleRound == .wrongRound(expected: 3, found: 4))
        let early = SecAggShareUpload(round: 3, sender: "device-0", shares: [])
        let earlyShares = secAggError { try server.receiveShares(early) }
        #expect(earlyShares == .wrongPhase(expected: .shareKeys, actual: .advertiseKeys))
        let input = SecAggMaskedInput(round: 3, deviceID: "device-0", words: round.inputs[0])
        let earlyInput = secAggError { try server.receiveMaskedInput(input) }
        #expect(earlyInput == .wrongPhase(expected: .maskedInput, actual: .advertiseKeys))

        // The refusals changed nothing: the honest round still gives the plain sum.
        round.server = server
        for device in round.devices.dropFirst() { try round.server.receiveAdvertisement(device.advertisement) }
        round.roster = try round.server.publishRoster()
        try round.shareKeys()
        try round.sendMaskedInputs()
        try round.unmask()
        let result = try round.server.finish()
        #expect(result.sum == round.plainSum(of: round.ids))
    }

    @Test func theServerRefusesInputsOfTheWrongLengthOrFromStrangers() throws {
        var round = try SecAggRound()
        try round.advertise()
        try round.shareKeys(dropping: ["device-9"])
        let short = SecAggMaskedInput(round: 3, deviceID: "device-0", words: [1, 2, 3])
        let shortInput = secAggError { try round.server.receiveMaskedInput(short) }
        #expect(shortInput == .vectorLengthMismatch(deviceID: "device-0", count: 3, expected: 1000))
        let outsider = SecAggMaskedInput(round: 3, deviceID: "device-9", words: round.inputs[9])
        let outsiderInput = secAggError { try round.server.receiveMaskedInput(outsider) }
        #expect(outsiderInput == .unknownDevice("device-9"))
        var ragged = SecAggMaskedInput(round: 3, deviceID: "device-0", words: round.inputs[0])
        ragged.maskedWords.removeLast()
        let raggedInput = secAggError { try round.server.receiveMaskedInput(ragged) }
        #expect(raggedInput == .malformedMaskedInput(deviceID: "device-0", byteCount: 3999))
    }

    @Test func aReplyMissingAShareIsRefusedAndAWrongShareFailsReconstruction() throws {
        var round = try SecAggRound()
        try round.advertise()
        try round.shareKeys()
        try round.sendMaskedInputs(dropping: ["device-9"])
        let request = try round.server.requestUnmasking()
        var replies: [SecAggUnmaskingReply] = []
        for index in 0..<9 {
            let reply = try round.devices[index].unmask(request)
            replies.append(reply)
        }

        var missing = replies[0]
        missing.maskingKeyShares.removeAll()
        let missingShare = secAggError { try round.server.receiveUnmaskingReply(missing) }
        #expect(missingShare == .replyMissingShares(deviceID: "device-0", owner: "device-9"))
        var extra = replies[0]
        extra.maskingKeyShares.append(SecAggRevealedShare(owner: "device-1", share: Data(count: 32)))
        let extraShare = secAggError { try round.server.receiveUnmaskingReply(extra) }
        #expect(extraShare == .unexpectedShare(deviceID: "device-0", owner: "device-1"))

        // A wrong share of device-3's seed from the first replier: the rebuilt seed misses its commitment.
        var badSeedReply = replies[0]
        let position = try #require(badSeedReply.selfMaskSeedShares.firstIndex { $0.owner == "device-3" })
        badSeedReply.selfMaskSeedShares[position].share[badSeedReply.selfMaskSeedShares[position].share.startIndex] ^= 0x80
        var server = round.server
        try server.receiveUnmaskingReply(badSeedReply)
        for reply in replies.dropFirst() { try server.receiveUnmaskingReply(reply) }
        let wrongSeed = secAggError { _ = try server.finish() }
        #expect(wrongSeed == .reconstructionFailed(owner: "device-3"))

        // Likewise a wrong share of the dropped device's masking key.
        var badKeyReply = replies[0]
        badKeyReply.maskingKeyShares[0].share[badKeyReply.maskingKeyShares[0].share.startIndex] ^= 0x80
        var keyServer = round.server
        try keyServer.receiveUnmaskingReply(badKeyReply)
        for reply in replies.dropFirst() { try keyServer.receiveUnmaskingReply(reply) }
        let wrongKey = secAggError { _ = try keyServer.finish() }
        #expect(wrongKey == .reconstructionFailed(owner: "device-9"))

        // And the honest replies unmask the sum.
        for reply in replies { try round.server.receiveUnmaskingReply(reply) }
        let result = try round.server.finish()
        #expect(result.sum == round.plainSum(of: request.survivors))
    }

    // MARK: Wire format

    @Test func messagesRoundTripThroughJSONWithBinaryFieldsAsBase64() throws {
        var round = try SecAggRound()
        try round.advertise()
        try round.shareKeys()
        try round.sendMaskedInputs()
        let masked = try #require(round.maskedInputs["device-0"])
        let json = try JSONEncoder().encode(masked)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["maskedWords"] as? String == masked.maskedWords.base64EncodedString())
        let decoded = try JSONDecoder().decode(SecAggMaskedInput.self, from: json)
        #expect(decoded == masked)
        #expect(try decoded.words().count == 1000)

        let roster = try #require(round.roster)
        #expect(try JSONDecoder().decode(SecAggRoster.self, from: JSONEncoder().encode(roster)) == roster)
        let delivery = try round.server.shareDelivery(for: "device-3")
        #expect(try JSONDecoder().decode(SecAggShareDelivery.self, from: JSONEncoder().encode(delivery)) == delivery)
    }

    @Test func maskedWordsAreLittleEndian() throws {
        let message = SecAggMaskedInput(round: 1, deviceID: "d", words: [0x0403_0201, 0xFFFF_FFFF])
        #expect(Array(message.maskedWords) == [1, 2, 3, 4, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try message.words() == [0x0403_0201, 0xFFFF_FFFF])
    }

    @Test func configurationLimitsAreEnforced() {
        #expect(SecAggConfig.defaultThreshold(deviceCount: 10) == 7)
        #expect(SecAggConfig.defaultThreshold(deviceCount: 3) == 3)
        #expect(throws: SecAggError.invalidThreshold(threshold: 1, shareCount: 255)) {
            try SecAggConfig(round: 1, threshold: 1, vectorLength: 10)
        }
        #expect(throws: SecAggError.invalidVectorLength(count: 0, max: SecAggConfig.vectorLengthMax)) {
            try SecAggConfig(round: 1, threshold: 2, vectorLength: 0)
        }
        #expect(!SecAggConfig.isValidDeviceID(""))
        #expect(!SecAggConfig.isValidDeviceID("has space"))
        #expect(!SecAggConfig.isValidDeviceID("é"))
        #expect(SecAggConfig.isValidDeviceID("dml1qpzry9x8gf2tvdw0s3jn54khce6mua7l"))
    }
}

@Suite struct MaskGeneratorTests {
    static let seed = Array(UInt8(0)...UInt8(31))

    /// Known answers from an independent implementation (Python `cryptography`: HKDF-SHA256,
    /// then AES-256-CTR from a zero counter block), at the start and across the first chunk
    /// boundary, and for another round and the other label.
    @Test func theMaskMatchesKnownAnswers() {
        let words = MaskGenerator.words(seed: Self.seed, round: 7, label: .selfMask, count: 16_388)
        #expect(Array(words[0..<4]) == [0x364E_954B, 0xE88F_F86E, 0xFDE7_BBF5, 0x2FD0_D112])
        #expect(Array(words[16_384..<16_388]) == [0xE208_2009, 0x2842_0215, 0x1898_EE22, 0x22DB_4682])
        #expect(MaskGenerator.words(seed: Self.seed, round: 8, label: .selfMask, count: 4)
            == [0xF690_2837, 0x0269_76BB, 0x9AA9_0FCB, 0xAAC3_E10C])
        #expect(MaskGenerator.words(seed: Self.seed, round: 7, label: .pairwise, count: 4)
            == [0xE7C0_89A6, 0x0D4E_C5F0, 0xB4DD_D344, 0x2322_AB89])
    }

    @Test func aShortMaskIsThePrefixOfALongOne() {
        let long = MaskGenerator.words(seed: Self.seed, round: 1, label: .pairwise, count: 40_000)
        for count in [0, 1, 5, 16_383, 16_384, 16_385, 32_769] {
            #expect(MaskGenerator.words(seed: Self.seed, round: 1, label: .pairwise, count: count) == Array(long.prefix(count)))
        }
    }

    @Test func subtractingTheMaskUndoesAddingIt() {
        var generator = SeededXoshiro(seed: 3)
        let original = (0..<20_000).map { _ in UInt32.random(in: 0...UInt32.max, using: &generator) }
        var words = original
        MaskGenerator.add(seed: Self.seed, round: 2, label: .selfMask, to: &words)
        #expect(words != original)
        MaskGenerator.subtract(seed: Self.seed, round: 2, label: .selfMask, from: &words)
        #expect(words == original)
    }
}
