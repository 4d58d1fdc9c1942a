import Crypto
import Foundation

/// The server's side of a secure-aggregation round (Bonawitz et al. 2017, §4): it relays,
/// counts and finally unmasks a sum, and holds only what a real server would — public keys,
/// sealed bundles it cannot open, the running sum of masked inputs, and the shares survivors
/// reveal. The same value works in process (tests, simulations) and behind HTTP routes, one
/// call per message.
///
///     .advertiseKeys ──publishRoster()──▶ .shareKeys ──closeShares()──▶ .maskedInput
///          ──requestUnmasking()──▶ .unmasking ──finish()──▶ .finished
///
/// Every phase needs at least `t` devices to go on; below that the round stops with
/// `.tooFewDevices` rather than expose a sum of too few inputs. A refused call changes nothing.
public struct SecAggServer: Sendable {
    /// The round's agreed parameters.
    public let config: SecAggConfig
    /// The step whose messages the server collects.
    public private(set) var phase: SecAggPhase = .advertiseKeys
    /// The published roster (U1), from `publishRoster()` on.
    public private(set) var roster: SecAggRoster?
    /// U2: the devices whose shares arrived, in id order, from `closeShares()` on.
    public private(set) var shareSet: [String] = []
    /// The request survivors answer, from `requestUnmasking()` on.
    public private(set) var unmaskingRequest: SecAggUnmaskingRequest?

    /// The largest sealed bundle accepted: the biggest plaintext (two 128-byte ids, two
    /// 32-byte shares, four lengths) plus nonce and tag is 364 bytes.
    public static let sealedShareBytesMax = 512

    private(set) var advertisements: [String: SecAggAdvertisement] = [:]
    /// Every public key advertised, to refuse a key used twice.
    private var advertisedKeys: Set<Data> = []
    /// Sealed bundles by recipient, then sender: routed, never opened.
    private(set) var routedShares: [String: [String: SecAggEncryptedShare]] = [:]
    private(set) var shareSenders: Set<String> = []
    private(set) var maskedInputSum: [UInt32] = []
    private(set) var maskedInputSenders: Set<String> = []
    private(set) var replies: [String: RevealedShares] = [:]

    /// One survivor's reply, by owner: its shares of survivors' `b_v` and dropped `s_v_sk`.
    struct RevealedShares: Sendable {
        var selfMaskSeeds: [String: [UInt8]]
        var maskingKeys: [String: [UInt8]]
    }

    public init(config: SecAggConfig) { self.config = config }

    /// Round 0: records a device's keys.
    ///
    /// - Origin: any device, once, while keys are collected.
    /// - Throws: `.wrongPhase`, the advertisement's own problems (`.wrongRound`,
    ///   `.invalidDeviceID`, `.invalidPublicKey`, `.malformedCommitment`), `.duplicateDevice`,
    ///   `.tooManyDevices`, `.duplicateKey`.
    public mutating func receiveAdvertisement(_ advertisement: SecAggAdvertisement) throws(SecAggError) {
        guard phase == .advertiseKeys else { throw .wrongPhase(expected: .advertiseKeys, actual: phase) }
        try advertisement.check(round: config.round)
        let id = advertisement.deviceID
        guard advertisements[id] == nil else { throw .duplicateDevice(id) }
        guard advertisements.count < Shamir.shareCountMax else {
            throw .tooManyDevices(count: advertisements.count + 1, max: Shamir.shareCountMax)
        }
        let newKeys = [advertisement.encryptionPublicKey, advertisement.maskingPublicKey]
        guard advertisedKeys.isDisjoint(with: newKeys), newKeys[0] != newKeys[1] else {
            throw .duplicateKey(deviceID: id)
        }
        advertisements[id] = advertisement
        advertisedKeys.formUnion(newKeys)
    }

    /// Closes round 0 and publishes the roster (U1) in device-id order.
    ///
    /// - Throws: `.wrongPhase`; `.tooFewDevices` when fewer than t devices advertised.
    public mutating func publishRoster() throws(SecAggError) -> SecAggRoster {
        guard phase == .advertiseKeys else { throw .wrongPhase(expected: .advertiseKeys, actual: phase) }
        guard advertisements.count >= config.threshold else {
            throw .tooFewDevices(phase: .advertiseKeys, count: advertisements.count, threshold: config.threshold)
        }
        let published = SecAggRoster(round: config.round,
                                     devices: advertisements.values.sorted { $0.deviceID < $1.deviceID })
        roster = published
        phase = .shareKeys
        return published
    }

    /// Round 1: takes a device's sealed bundles, one for every other roster device, to route.
    ///
    /// - Origin: a roster device, once.
    /// - Throws: `.wrongPhase`, `.wrongRound`, `.unknownDevice`, `.duplicateDevice` (second
    ///   upload or two bundles for one recipient), `.misaddressedShare`, `.malformedShare`
    ///   (size), `.missingShare`.
    public mutating func receiveShares(_ upload: SecAggShareUpload) throws(SecAggError) {
        guard phase == .shareKeys else { throw .wrongPhase(expected: .shareKeys, actual: phase) }
        guard upload.round == config.round else { throw .wrongRound(expected: config.round, found: upload.round) }
        let sender = upload.sender
        guard advertisements[sender] != nil else { throw .unknownDevice(sender) }
        guard !shareSenders.contains(sender) else { throw .duplicateDevice(sender) }
        var byRecipient: [String: SecAggEncryptedShare] = [:]
        for share in upload.shares {
            guard share.sender == sender, share.recipient != sender, advertisements[share.recipient] != nil else {
                throw .misaddressedShare(sender: share.sender, recipient: share.recipient)
            }
            guard (28...Self.sealedShareBytesMax).contains(share.sealedBox.count) else { throw .malformedShare(sender: sender) }
            guard byRecipient.updateValue(share, forKey: share.recipient) == nil else {
                throw .duplicateDevice(share.recipient)
            }
        }
        for recipient in advertisements.keys.sorted() where recipient != sender && byRecipient[recipient] == nil {
            throw .missingShare(sender: sender, recipient: recipient)
        }
        for (recipient, share) in byRecipient { routedShares[recipient, default: [:]][sender] = share }
        shareSenders.insert(sender)
    }

    /// Closes round 1: U2 is every device whose bundles arrived.
    ///
    /// - Throws: `.wrongPhase`; `.tooFewDevices` when fewer than t devices shared.
    public mutating func closeShares() throws(SecAggError) -> [String] {
        guard phase == .shareKeys else { throw .wrongPhase(expected: .shareKeys, actual: phase) }
        let senders = shareSenders.sorted()
        guard senders.count >= config.threshold else {
            throw .tooFewDevices(phase: .shareKeys, count: senders.count, threshold: config.threshold)
        }
        shareSet = senders
        maskedInputSum = [UInt32](repeating: 0, count: config.vectorLength)
        phase = .maskedInput
        return senders
    }

    /// Round 1 → 2: what one member of U2 downloads — U2 and the bundles addressed to it.
    ///
    /// - Throws: `.wrongPhase` (outside round 2); `.unknownDevice` for a device not in U2.
    public func shareDelivery(for recipient: String) throws(SecAggError) -> SecAggShareDelivery {
        guard phase == .maskedInput else { throw .wrongPhase(expected: .maskedInput, actual: phase) }
        guard shareSet.contains(recipient) else { throw .unknownDevice(recipient) }
        let inbox = routedShares[recipient] ?? [:]
        let shares = shareSet.filter { $0 != recipient }.compactMap { inbox[$0] }
        return SecAggShareDelivery(round: config.round, recipient: recipient, senders: shareSet, shares: shares)
    }

    /// Round 2: adds a member of U2's masked input into the running sum (the input itself is
    /// not kept).
    ///
    /// - Throws: `.wrongPhase`, `.wrongRound`, `.unknownDevice` (not in U2), `.duplicateDevice`,
    ///   `.malformedMaskedInput`, `.vectorLengthMismatch`.
    public mutating func receiveMaskedInput(_ input: SecAggMaskedInput) throws(SecAggError) {
        guard phase == .maskedInput else { throw .wrongPhase(expected: .maskedInput, actual: phase) }
        guard input.round == config.round else { throw .wrongRound(expected: config.round, found: input.round) }
        guard shareSet.contains(input.deviceID) else { throw .unknownDevice(input.deviceID) }
        guard !maskedInputSenders.contains(input.deviceID) else { throw .duplicateDevice(input.deviceID) }
        let words = try input.words()
        guard words.count == config.vectorLength else {
            throw .vectorLengthMismatch(deviceID: input.deviceID, count: words.count, expected: config.vectorLength)
        }
        maskedInputSum.withUnsafeMutableBufferPointer { sum in
            for index in 0..<words.count { sum[index] &+= words[index] }
        }
        maskedInputSenders.insert(input.deviceID)
    }

    /// Closes round 2: survivors (U3) sent a masked input; dropped (U2 \ U3) did not.
    ///
    /// - Throws: `.wrongPhase`; `.tooFewDevices` when fewer than t inputs arrived.
    public mutating func requestUnmasking() throws(SecAggError) -> SecAggUnmaskingRequest {
        guard phase == .maskedInput else { throw .wrongPhase(expected: .maskedInput, actual: phase) }
        guard maskedInputSenders.count >= config.threshold else {
            throw .tooFewDevices(phase: .maskedInput, count: maskedInputSenders.count, threshold: config.threshold)
        }
        let request = SecAggUnmaskingRequest(round: config.round,
                                             survivors: shareSet.filter { maskedInputSenders.contains($0) },
                                             dropped: shareSet.filter { !maskedInputSenders.contains($0) })
        unmaskingRequest = request
        phase = .unmasking
        return request
    }

    /// Round 3: records a survivor's shares — exactly one 32-byte share per device the request
    /// named, of `b_v` for survivors and of `s_v_sk` for dropped devices.
    ///
    /// - Throws: `.wrongPhase`, `.wrongRound`, `.unknownDevice` (not a survivor),
    ///   `.duplicateDevice`, `.unexpectedShare`, `.replyMissingShares`.
    public mutating func receiveUnmaskingReply(_ reply: SecAggUnmaskingReply) throws(SecAggError) {
        guard phase == .unmasking, let request = unmaskingRequest else {
            throw .wrongPhase(expected: .unmasking, actual: phase)
        }
        guard reply.round == config.round else { throw .wrongRound(expected: config.round, found: reply.round) }
        guard request.survivors.contains(reply.deviceID) else { throw .unknownDevice(reply.deviceID) }
        guard replies[reply.deviceID] == nil else { throw .duplicateDevice(reply.deviceID) }
        let seeds = try Self.sharesByOwner(reply.selfMaskSeedShares, expected: request.survivors, from: reply.deviceID)
        let keys = try Self.sharesByOwner(reply.maskingKeyShares, expected: request.dropped, from: reply.deviceID)
        replies[reply.deviceID] = RevealedShares(selfMaskSeeds: seeds, maskingKeys: keys)
    }

    /// Closes round 3: rebuilds `b_v` of every survivor and `s_v_sk` of every dropped device
    /// from the first t replies (in id order), removes the survivors' self masks and the
    /// pairwise masks survivors shared with dropped devices, and returns the sum.
    ///
    /// - Throws: `.wrongPhase`; `.tooFewDevices` with fewer than t replies;
    ///   `.reconstructionFailed` when a rebuilt seed misses its commitment or a rebuilt key
    ///   its public key (a wrong share).
    public mutating func finish() throws(SecAggError) -> SecAggResult {
        guard phase == .unmasking, let request = unmaskingRequest, let roster else {
            throw .wrongPhase(expected: .unmasking, actual: phase)
        }
        guard replies.count >= config.threshold else {
            throw .tooFewDevices(phase: .unmasking, count: replies.count, threshold: config.threshold)
        }
        // A device's Shamir x is its roster position + 1; the roster is in id order, as is this.
        var used: [(x: UInt8, shares: RevealedShares)] = []
        for (index, device) in roster.devices.enumerated() where used.count < config.threshold {
            if let shares = replies[device.deviceID] { used.append((x: UInt8(index + 1), shares: shares)) }
        }
        var sum = maskedInputSum
        for owner in request.survivors {
            let seed = try rebuild(owner, from: used, secret: \.selfMaskSeeds)
            let commitment = MaskGenerator.selfMaskCommitment(seed: seed, deviceID: owner, round: config.round)
            guard Data(commitment) == advertisements[owner]?.selfMaskCommitment else { throw .reconstructionFailed(owner: owner) }
            MaskGenerator.subtract(seed: seed, round: config.round, label: .selfMask, from: &sum)
        }
        for owner in request.dropped {
            let raw = try rebuild(owner, from: used, secret: \.maskingKeys)
            try removePairwiseMasks(ofDropped: owner, keyBytes: raw, survivors: request.survivors, from: &sum)
        }
        phase = .finished
        return SecAggResult(sum: sum, survivors: request.survivors, dropped: request.dropped)
    }

    // MARK: Helpers

    /// One secret of `owner` from the chosen replies' shares (every stored reply has one).
    private func rebuild(_ owner: String, from used: [(x: UInt8, shares: RevealedShares)],
                         secret: KeyPath<RevealedShares, [String: [UInt8]]>) throws(SecAggError) -> [UInt8] {
        let shares = used.compactMap { reply in
            reply.shares[keyPath: secret][owner].map { ShamirShare(x: reply.x, y: $0) }
        }
        return try Shamir.combine(shares, threshold: config.threshold)
    }

    /// Undoes what each survivor `u` added for its pair with the dropped `v`: `u` added
    /// `PRG(s_uv)` when u < v and subtracted it otherwise; `v`'s opposite term never arrived.
    private func removePairwiseMasks(ofDropped owner: String, keyBytes: [UInt8], survivors: [String],
                                     from sum: inout [UInt32]) throws(SecAggError) {
        guard let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: keyBytes),
              key.publicKey.rawRepresentation == advertisements[owner]?.maskingPublicKey else {
            throw .reconstructionFailed(owner: owner)
        }
        for survivor in survivors {
            guard let advertisement = advertisements[survivor] else { throw .unknownDevice(survivor) }
            let peerKey = try SecAggDevice.publicKey(advertisement.maskingPublicKey, of: survivor)
            let seed = try MaskGenerator.pairwiseSeed(privateKey: key, peerKey: peerKey,
                                                      ids: (own: owner, peer: survivor), round: config.round)
            if MaskGenerator.addsPairwiseMask(own: survivor, peer: owner) {
                MaskGenerator.subtract(seed: seed, round: config.round, label: .pairwise, from: &sum)
            } else {
                MaskGenerator.add(seed: seed, round: config.round, label: .pairwise, to: &sum)
            }
        }
    }

    /// A reply's shares by owner, checked to name exactly `expected`, once each, 32 bytes each.
    private static func sharesByOwner(_ shares: [SecAggRevealedShare], expected: [String],
                                      from replier: String) throws(SecAggError) -> [String: [UInt8]] {
        let wanted = Set(expected)
        var byOwner: [String: [UInt8]] = [:]
        for share in shares {
            guard wanted.contains(share.owner), byOwner[share.owner] == nil else {
                throw .unexpectedShare(deviceID: replier, owner: share.owner)
            }
            guard share.share.count == MaskGenerator.seedBytes else {
                throw .replyMissingShares(deviceID: replier, owner: share.owner)
            }
            byOwner[share.owner] = Array(share.share)
        }
        for owner in expected where byOwner[owner] == nil { throw .replyMissingShares(deviceID: replier, owner: owner) }
        return byOwner
    }
}
