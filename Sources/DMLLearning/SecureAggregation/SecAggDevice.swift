import Crypto
import DMLCore
import Foundation

/// One device's side of a secure-aggregation round (Bonawitz et al. 2017, the semi-honest
/// protocol of §4), as a state machine driven by the server's messages:
///
///     init ──advertisement──▶ .shareKeys ──shareKeys(roster:)──▶ .maskedInput
///          ──maskInput(_:delivery:)──▶ .unmasking ──unmask(_:)──▶ (.unmasking, answers again)
///
/// - Phase 0 (`init`): two X25519 key pairs — `c_u` to encrypt share bundles, `s_u` to agree
///   pairwise masks — and a random 32-byte self-mask seed `b_u`.
/// - Phase 1 (`shareKeys`): `b_u` and `s_u_sk` are split t-of-n; each other device's shares are
///   sealed for it with AES-GCM under a key derived from `X25519(c_u_sk, c_v_pk)`.
/// - Phase 2 (`maskInput`): `y_u = x_u + PRG(b_u) + Σ_{v ∈ U2, v ≠ u} ±PRG(s_uv)`, + when u < v.
/// - Phase 3 (`unmask`): shares of `b_v` for survivors and of `s_v_sk` for dropped devices —
///   never both for one device, and never for fewer than `t` survivors.
///
/// A refused call changes nothing. The device holds its secrets only in memory; a device that
/// restarts mid-round has dropped out.
public struct SecAggDevice: Sendable {
    /// This device's identifier (its place in the roster's order decides its Shamir x).
    public let id: String
    /// The round's agreed parameters.
    public let config: SecAggConfig
    /// The step whose message the device waits for next.
    public private(set) var phase: SecAggPhase = .shareKeys

    private let encryptionKey: Curve25519.KeyAgreement.PrivateKey
    private let maskingKey: Curve25519.KeyAgreement.PrivateKey
    private let selfMaskSeed: [UInt8]
    /// The roster by device id (phase 1 on).
    private var roster: [String: SecAggAdvertisement] = [:]
    /// This device's own share of its own secrets (x = its roster position + 1).
    private var ownShare: SecAggSharePlaintext?
    /// U2, and the bundle each member of U2 sent this device (phase 2 on).
    private var shareSet: Set<String> = []
    private var received: [String: SecAggEncryptedShare] = [:]
    /// Whose secrets this device has revealed a share of, so no later request gets the other.
    private var revealedSelfMaskSeeds: Set<String> = []
    private var revealedMaskingKeys: Set<String> = []

    /// Phase 0: fresh keys and self-mask seed from `generator`.
    ///
    /// - Parameter generator: the system's CSPRNG in production (see `init(id:config:)`); a
    ///   seeded one makes a test round reproducible. X25519 private keys are 32 bytes from it.
    /// - Throws: `.invalidDeviceID`.
    public init(id: String, config: SecAggConfig, using generator: inout some RandomNumberGenerator) throws(SecAggError) {
        guard SecAggConfig.isValidDeviceID(id) else { throw .invalidDeviceID(id) }
        self.id = id
        self.config = config
        self.encryptionKey = Self.privateKey(using: &generator)
        self.maskingKey = Self.privateKey(using: &generator)
        self.selfMaskSeed = Shamir.randomBytes(count: MaskGenerator.seedBytes, using: &generator)
    }

    /// Phase 0 with the system's cryptographically secure generator.
    public init(id: String, config: SecAggConfig) throws(SecAggError) {
        var generator = SystemRandomNumberGenerator()
        try self.init(id: id, config: config, using: &generator)
    }

    /// Phase 0's message: the two public keys and the commitment to `b_u`.
    public var advertisement: SecAggAdvertisement {
        SecAggAdvertisement(
            round: config.round, deviceID: id,
            encryptionPublicKey: encryptionKey.publicKey.rawRepresentation,
            maskingPublicKey: maskingKey.publicKey.rawRepresentation,
            selfMaskCommitment: Data(MaskGenerator.selfMaskCommitment(seed: selfMaskSeed, deviceID: id, round: config.round)))
    }

    /// Phase 1: checks the roster, splits `b_u` and `s_u_sk` t-of-n, seals each other device's
    /// shares for it.
    ///
    /// - Throws: `.wrongPhase`, `.wrongRound`, `.tooManyDevices`, `.tooFewDevices`, then the
    ///   roster's problems (`.invalidDeviceID`, `.rosterNotInOrder`, `.invalidPublicKey`,
    ///   `.malformedCommitment`, `.duplicateKey`), `.ownKeyMissing`.
    public mutating func shareKeys(roster: SecAggRoster,
                                   using generator: inout some RandomNumberGenerator) throws(SecAggError) -> SecAggShareUpload {
        guard phase == .shareKeys else { throw .wrongPhase(expected: .shareKeys, actual: phase) }
        guard roster.round == config.round else { throw .wrongRound(expected: config.round, found: roster.round) }
        let devices = roster.devices
        guard devices.count <= Shamir.shareCountMax else {
            throw .tooManyDevices(count: devices.count, max: Shamir.shareCountMax)
        }
        guard devices.count >= config.threshold else {
            throw .tooFewDevices(phase: .shareKeys, count: devices.count, threshold: config.threshold)
        }
        try Self.checkRoster(devices, round: config.round)
        guard let ownIndex = devices.firstIndex(where: { $0.deviceID == id }), devices[ownIndex] == advertisement else {
            throw .ownKeyMissing(deviceID: id)
        }
        // Agree with every peer now, so a bad key stops the round before any share goes out.
        for peer in devices where peer.deviceID != id {
            let peerKey = try Self.publicKey(peer.maskingPublicKey, of: peer.deviceID)
            _ = try MaskGenerator.agreement(maskingKey, peerKey, peer: peer.deviceID)
        }
        let seedShares = try Shamir.split(secret: selfMaskSeed, threshold: config.threshold,
                                          shareCount: devices.count, using: &generator)
        let keyShares = try Shamir.split(secret: Array(maskingKey.rawRepresentation), threshold: config.threshold,
                                         shareCount: devices.count, using: &generator)
        var sealed: [SecAggEncryptedShare] = []
        for (index, peer) in devices.enumerated() where index != ownIndex {
            let plaintext = SecAggSharePlaintext(sender: id, recipient: peer.deviceID,
                                                 selfMaskSeedShare: seedShares[index].y, maskingKeyShare: keyShares[index].y)
            let bundle = try seal(plaintext, for: peer, using: &generator)
            sealed.append(bundle)
        }
        // Commit: nothing below can fail.
        self.roster = Dictionary(uniqueKeysWithValues: devices.map { ($0.deviceID, $0) })
        ownShare = SecAggSharePlaintext(sender: id, recipient: id, selfMaskSeedShare: seedShares[ownIndex].y,
                                        maskingKeyShare: keyShares[ownIndex].y)
        phase = .maskedInput
        return SecAggShareUpload(round: config.round, sender: id, shares: sealed)
    }

    /// Phase 1 with the system's cryptographically secure generator.
    public mutating func shareKeys(roster: SecAggRoster) throws(SecAggError) -> SecAggShareUpload {
        var generator = SystemRandomNumberGenerator()
        return try shareKeys(roster: roster, using: &generator)
    }

    /// Phase 2: masks the quantized input with `PRG(b_u)` and a pairwise mask for every other
    /// device of U2 (the delivery's senders). The bundles are kept sealed until phase 3.
    ///
    /// - Throws: `.wrongPhase`, `.wrongRound`, `.vectorLengthMismatch`, then U2's problems
    ///   (`.duplicateDevice`, `.unknownDevice`, `.selfNotListed`, `.tooFewDevices`), then the
    ///   bundles' (`.misaddressedShare`, `.duplicateDevice`, `.missingShare`).
    public mutating func maskInput(_ input: [UInt32], delivery: SecAggShareDelivery) throws(SecAggError) -> SecAggMaskedInput {
        guard phase == .maskedInput else { throw .wrongPhase(expected: .maskedInput, actual: phase) }
        guard delivery.round == config.round else { throw .wrongRound(expected: config.round, found: delivery.round) }
        guard input.count == config.vectorLength else {
            throw .vectorLengthMismatch(deviceID: id, count: input.count, expected: config.vectorLength)
        }
        let senders = try checkedMembers(delivery.senders, step: .maskedInput)
        var bundles: [String: SecAggEncryptedShare] = [:]
        for share in delivery.shares {
            guard share.recipient == id, share.sender != id, senders.contains(share.sender) else {
                throw .misaddressedShare(sender: share.sender, recipient: share.recipient)
            }
            guard bundles.updateValue(share, forKey: share.sender) == nil else { throw .duplicateDevice(share.sender) }
        }
        for sender in delivery.senders where sender != id && bundles[sender] == nil {
            throw .missingShare(sender: sender, recipient: id)
        }
        var masked = input
        MaskGenerator.add(seed: selfMaskSeed, round: config.round, label: .selfMask, to: &masked)
        for peer in delivery.senders where peer != id {
            try addPairwiseMask(with: peer, to: &masked)
        }
        // Commit.
        shareSet = senders
        received = bundles
        phase = .unmasking
        return SecAggMaskedInput(round: config.round, deviceID: id, words: masked)
    }

    /// Phase 3: this device's shares of `b_v` for every survivor and of `s_v_sk` for every
    /// dropped device. May be asked again (a retried request), but never so that, over all
    /// answers, both secrets of one device have been revealed.
    ///
    /// - Throws: `.wrongPhase`, `.wrongRound`, `.duplicateDevice`, `.deviceInBothSets`,
    ///   `.unknownDevice` (not in U2), `.selfNotListed`, `.tooFewDevices` (fewer than t
    ///   survivors: the sum would be too small to hide an update), `.wouldRevealBothMasks`,
    ///   then `.shareDecryptionFailed` or `.malformedShare` for a bad bundle.
    public mutating func unmask(_ request: SecAggUnmaskingRequest) throws(SecAggError) -> SecAggUnmaskingReply {
        guard phase == .unmasking else { throw .wrongPhase(expected: .unmasking, actual: phase) }
        guard request.round == config.round else { throw .wrongRound(expected: config.round, found: request.round) }
        try checkUnmaskingSets(survivors: request.survivors, dropped: request.dropped)
        var seedShares: [SecAggRevealedShare] = []
        var keyShares: [SecAggRevealedShare] = []
        for owner in request.survivors {
            let plaintext = try openShare(from: owner)
            seedShares.append(SecAggRevealedShare(owner: owner, share: Data(plaintext.selfMaskSeedShare)))
        }
        for owner in request.dropped {
            let plaintext = try openShare(from: owner)
            keyShares.append(SecAggRevealedShare(owner: owner, share: Data(plaintext.maskingKeyShare)))
        }
        // Commit: remember what went out, so no later request can ask for the other secret.
        revealedSelfMaskSeeds.formUnion(request.survivors)
        revealedMaskingKeys.formUnion(request.dropped)
        return SecAggUnmaskingReply(round: config.round, deviceID: id, selfMaskSeedShares: seedShares,
                                    maskingKeyShares: keyShares)
    }

    // MARK: Checks

    /// The guards that keep a single update private: disjoint sets within U2, this device a
    /// survivor, at least t survivors, and nothing that completes a pair with an earlier answer.
    private func checkUnmaskingSets(survivors: [String], dropped: [String]) throws(SecAggError) {
        var seen = Set<String>()
        for device in survivors {
            guard seen.insert(device).inserted else { throw .duplicateDevice(device) }
        }
        var seenDropped = Set<String>()
        for device in dropped {
            guard !seen.contains(device) else { throw .deviceInBothSets(device) }
            guard seenDropped.insert(device).inserted else { throw .duplicateDevice(device) }
        }
        for device in survivors + dropped where !shareSet.contains(device) { throw .unknownDevice(device) }
        guard seen.contains(id) else { throw .selfNotListed(deviceID: id, phase: .unmasking) }
        guard survivors.count >= config.threshold else {
            throw .tooFewDevices(phase: .unmasking, count: survivors.count, threshold: config.threshold)
        }
        for device in survivors where revealedMaskingKeys.contains(device) { throw .wouldRevealBothMasks(device) }
        for device in dropped where revealedSelfMaskSeeds.contains(device) { throw .wouldRevealBothMasks(device) }
    }

    /// The server's U2, checked: no repeats, all in the roster, this device in it, at least t.
    private func checkedMembers(_ members: [String], step: SecAggPhase) throws(SecAggError) -> Set<String> {
        var set = Set<String>()
        for member in members {
            guard set.insert(member).inserted else { throw .duplicateDevice(member) }
            guard roster[member] != nil else { throw .unknownDevice(member) }
        }
        guard set.contains(id) else { throw .selfNotListed(deviceID: id, phase: step) }
        guard set.count >= config.threshold else {
            throw .tooFewDevices(phase: step, count: set.count, threshold: config.threshold)
        }
        return set
    }

    /// Every advertisement well-formed, ids strictly increasing, all 2n public keys distinct.
    static func checkRoster(_ devices: [SecAggAdvertisement], round: UInt64) throws(SecAggError) {
        var keys = Set<Data>()
        var previous: String?
        for device in devices {
            try device.check(round: round)
            if let previous, !(previous < device.deviceID) { throw .rosterNotInOrder }
            previous = device.deviceID
            guard keys.insert(device.encryptionPublicKey).inserted, keys.insert(device.maskingPublicKey).inserted else {
                throw .duplicateKey(deviceID: device.deviceID)
            }
        }
    }

    // MARK: Crypto

    private func addPairwiseMask(with peer: String, to masked: inout [UInt32]) throws(SecAggError) {
        guard let advertisement = roster[peer] else { throw .unknownDevice(peer) }
        let peerKey = try Self.publicKey(advertisement.maskingPublicKey, of: peer)
        let seed = try MaskGenerator.pairwiseSeed(privateKey: maskingKey, peerKey: peerKey,
                                                  ids: (own: id, peer: peer), round: config.round)
        if MaskGenerator.addsPairwiseMask(own: id, peer: peer) {
            MaskGenerator.add(seed: seed, round: config.round, label: .pairwise, to: &masked)
        } else {
            MaskGenerator.subtract(seed: seed, round: config.round, label: .pairwise, from: &masked)
        }
    }

    /// Seals one bundle with a fresh random nonce (each key seals exactly one message anyway).
    private func seal(_ plaintext: SecAggSharePlaintext, for peer: SecAggAdvertisement,
                      using generator: inout some RandomNumberGenerator) throws(SecAggError) -> SecAggEncryptedShare {
        let (key, context) = try shareKey(sender: id, recipient: peer.deviceID, peer: peer)
        let nonceBytes = Shamir.randomBytes(count: 12, using: &generator)
        guard let nonce = try? AES.GCM.Nonce(data: nonceBytes),
              let box = try? AES.GCM.seal(plaintext.bytes, using: key, nonce: nonce, authenticating: context),
              let combined = box.combined else {
            preconditionFailure("AES-GCM refused a 32-byte key or a 12-byte nonce")
        }
        return SecAggEncryptedShare(sender: id, recipient: peer.deviceID, sealedBox: combined)
    }

    /// The shares `owner` sent this device (this device's own for itself), opened and checked.
    private func openShare(from owner: String) throws(SecAggError) -> SecAggSharePlaintext {
        if owner == id, let ownShare { return ownShare }
        guard let bundle = received[owner], let peer = roster[owner] else { throw .unknownDevice(owner) }
        let (key, context) = try shareKey(sender: owner, recipient: id, peer: peer)
        guard let box = try? AES.GCM.SealedBox(combined: bundle.sealedBox),
              let opened = try? AES.GCM.open(box, using: key, authenticating: context) else {
            throw .shareDecryptionFailed(sender: owner)
        }
        guard let plaintext = SecAggSharePlaintext(bytes: Array(opened)), plaintext.sender == owner, plaintext.recipient == id,
              plaintext.selfMaskSeedShare.count == MaskGenerator.seedBytes,
              plaintext.maskingKeyShare.count == MaskGenerator.seedBytes else {
            throw .malformedShare(sender: owner)
        }
        return plaintext
    }

    /// The AES-256-GCM key of the bundle `sender → recipient`, and the context it authenticates:
    ///
    ///     HKDF-SHA256(ikm: X25519(c_own_sk, c_peer_pk), salt: empty,
    ///                 info: str("dml-secagg-share-v1") ‖ u64(round) ‖ str(sender) ‖ str(recipient))
    ///
    /// The direction is in the derivation, so the two bundles of a pair use different keys.
    private func shareKey(sender: String, recipient: String,
                          peer: SecAggAdvertisement) throws(SecAggError) -> (SymmetricKey, [UInt8]) {
        let peerKey = try Self.publicKey(peer.encryptionPublicKey, of: peer.deviceID)
        let secret = try MaskGenerator.agreement(encryptionKey, peerKey, peer: peer.deviceID)
        var context = ByteWriter(capacity: 64)
        context.write("dml-secagg-share-v1")
        context.write(config.round)
        context.write(sender)
        context.write(recipient)
        let key = secret.hkdfDerivedSymmetricKey(using: SHA256.self, salt: [UInt8](), sharedInfo: context.bytes,
                                                 outputByteCount: 32)
        return (key, context.bytes)
    }

    static func publicKey(_ raw: Data, of device: String) throws(SecAggError) -> Curve25519.KeyAgreement.PublicKey {
        guard let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw) else {
            throw .invalidPublicKey(deviceID: device)
        }
        return key
    }

    /// An X25519 private key from 32 bytes of `generator` (X25519 clamps the scalar itself).
    static func privateKey(using generator: inout some RandomNumberGenerator) -> Curve25519.KeyAgreement.PrivateKey {
        let raw = Shamir.randomBytes(count: 32, using: &generator)
        guard let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw) else {
            preconditionFailure("X25519 refused a 32-byte private key")
        }
        return key
    }
}
