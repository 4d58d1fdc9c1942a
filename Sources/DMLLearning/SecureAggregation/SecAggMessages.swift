import DMLCore
import Foundation

/// The steps of a secure-aggregation round (Bonawitz et al. 2017, §4): devices advertise
/// keys, share their secrets, send masked inputs, and the survivors help unmask the sum.
///
/// A party's phase is the step whose messages it is waiting for: the server in `.shareKeys`
/// collects share uploads; a device in `.shareKeys` waits for the roster.
public enum SecAggPhase: String, Codable, Sendable {
    /// Round 0: devices send their two public keys.
    case advertiseKeys
    /// Round 1: devices send their encrypted Shamir shares, one bundle per other device.
    case shareKeys
    /// Round 2: devices send their masked inputs.
    case maskedInput
    /// Round 3: survivors send the shares that remove the masks.
    case unmasking
    /// The sum is out; nothing more is accepted.
    case finished
}

/// What every party of a round agrees on before it starts (from the job's plan): the round
/// number, the threshold and the vector length. The server cannot change them, in particular
/// it cannot lower the threshold.
public struct SecAggConfig: Sendable, Equatable {
    /// The round number; it enters every key derivation, so nothing carries over between rounds.
    public let round: UInt64
    /// `t`: the fewest devices that must remain at every phase, the number of shares that
    /// rebuild a secret, and the smallest set a device lets the server learn the sum of.
    public let threshold: Int
    /// The number of 32-bit words in every input.
    public let vectorLength: Int

    /// The longest vector: 2²⁸ words (1 GiB per input), far above any model here.
    public static let vectorLengthMax = 1 << 28
    /// The longest device identifier, in bytes.
    public static let deviceIDBytesMax = 128

    /// - Throws: `.invalidThreshold` unless `2 ≤ threshold ≤ 255`; `.invalidVectorLength`.
    public init(round: UInt64, threshold: Int, vectorLength: Int) throws(SecAggError) {
        guard threshold >= 2, threshold <= Shamir.shareCountMax else {
            throw .invalidThreshold(threshold: threshold, shareCount: Shamir.shareCountMax)
        }
        guard vectorLength >= 1, vectorLength <= Self.vectorLengthMax else {
            throw .invalidVectorLength(count: vectorLength, max: Self.vectorLengthMax)
        }
        self.round = round
        self.threshold = threshold
        self.vectorLength = vectorLength
    }

    /// The paper's suggestion for `n` invited devices, `⌊2n/3⌋ + 1`: the round survives a
    /// third of the devices dropping, and the server plus fewer than a third of the devices
    /// colluding cannot rebuild a device's secrets. For 10 devices it is 7.
    public static func defaultThreshold(deviceCount: Int) -> Int { 2 * deviceCount / 3 + 1 }

    /// Device identifiers are 1...128 bytes of printable ASCII (0x21...0x7E), so that Swift's
    /// string order — which decides who adds and who subtracts a pairwise mask — is plain
    /// byte order in every language.
    public static func isValidDeviceID(_ id: String) -> Bool {
        let bytes = id.utf8
        return (1...deviceIDBytesMax).contains(bytes.count) && bytes.allSatisfy { (0x21...0x7E).contains($0) }
    }
}

/// Round 0, device → server: the device's two X25519 public keys and its commitment to
/// its self-mask seed.
public struct SecAggAdvertisement: Codable, Sendable, Equatable {
    public var round: UInt64
    public var deviceID: String
    /// `c_u_pk`, 32 raw bytes: agreed with peers' to encrypt the share bundles.
    public var encryptionPublicKey: Data
    /// `s_u_pk`, 32 raw bytes: agreed with peers' to derive the pairwise masks.
    public var maskingPublicKey: Data
    /// SHA-256 commitment to `b_u` (see `MaskGenerator.selfMaskCommitment`): lets the server
    /// check the seed it rebuilds.
    public var selfMaskCommitment: Data

    public init(round: UInt64, deviceID: String, encryptionPublicKey: Data, maskingPublicKey: Data,
                selfMaskCommitment: Data) {
        self.round = round
        self.deviceID = deviceID
        self.encryptionPublicKey = encryptionPublicKey
        self.maskingPublicKey = maskingPublicKey
        self.selfMaskCommitment = selfMaskCommitment
    }

    /// Checks what can be checked of one advertisement alone: round, id, key and commitment
    /// sizes. (Keys that are valid points but low-order are caught at first use.)
    ///
    /// - Throws: `.wrongRound`, `.invalidDeviceID`, `.invalidPublicKey`, `.malformedCommitment`.
    func check(round expected: UInt64) throws(SecAggError) {
        guard round == expected else { throw .wrongRound(expected: expected, found: round) }
        guard SecAggConfig.isValidDeviceID(deviceID) else { throw .invalidDeviceID(deviceID) }
        guard encryptionPublicKey.count == 32, maskingPublicKey.count == 32 else {
            throw .invalidPublicKey(deviceID: deviceID)
        }
        guard selfMaskCommitment.count == 32 else { throw .malformedCommitment(deviceID: deviceID) }
    }
}

/// Round 0 → 1, server → every device: all advertisements received, in device-id order.
/// A device's Shamir x-coordinate is its position in this list plus one.
public struct SecAggRoster: Codable, Sendable, Equatable {
    public var round: UInt64
    public var devices: [SecAggAdvertisement]

    public init(round: UInt64, devices: [SecAggAdvertisement]) {
        self.round = round
        self.devices = devices
    }
}

/// One device's shares for one other device, sealed with AES-256-GCM under a key only the two
/// of them can derive; the server routes it without being able to open it.
public struct SecAggEncryptedShare: Codable, Sendable, Equatable {
    public var sender: String
    public var recipient: String
    /// nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes). The plaintext is
    /// `str(sender) ‖ str(recipient) ‖ bytes(share of b_sender) ‖ bytes(share of s_sender_sk)`.
    public var sealedBox: Data

    public init(sender: String, recipient: String, sealedBox: Data) {
        self.sender = sender
        self.recipient = recipient
        self.sealedBox = sealedBox
    }
}

/// Round 1, device → server: a bundle for every other device of the roster.
public struct SecAggShareUpload: Codable, Sendable, Equatable {
    public var round: UInt64
    public var sender: String
    public var shares: [SecAggEncryptedShare]

    public init(round: UInt64, sender: String, shares: [SecAggEncryptedShare]) {
        self.round = round
        self.sender = sender
        self.shares = shares
    }
}

/// Round 1 → 2, server → each device of U2: who shared (U2, in id order) and the bundles
/// addressed to this device from each of them.
public struct SecAggShareDelivery: Codable, Sendable, Equatable {
    public var round: UInt64
    public var recipient: String
    public var senders: [String]
    public var shares: [SecAggEncryptedShare]

    public init(round: UInt64, recipient: String, senders: [String], shares: [SecAggEncryptedShare]) {
        self.round = round
        self.recipient = recipient
        self.senders = senders
        self.shares = shares
    }
}

/// Round 2, device → server: `y_u = x_u + PRG(b_u) + Σ ±PRG(s_uv)`, modulo 2³².
public struct SecAggMaskedInput: Codable, Sendable, Equatable {
    public var round: UInt64
    public var deviceID: String
    /// The words as 32-bit little-endian integers (base64 in JSON).
    public var maskedWords: Data

    public init(round: UInt64, deviceID: String, words: [UInt32]) {
        self.round = round
        self.deviceID = deviceID
        var bytes = Data(count: 4 * words.count)
        bytes.withUnsafeMutableBytes { (raw: UnsafeMutableRawBufferPointer) in
            for index in words.indices {
                raw.storeBytes(of: words[index].littleEndian, toByteOffset: 4 * index, as: UInt32.self)
            }
        }
        self.maskedWords = bytes
    }

    /// The words, or `.malformedMaskedInput` when the byte count is not a multiple of 4.
    public func words() throws(SecAggError) -> [UInt32] {
        guard maskedWords.count % 4 == 0 else {
            throw .malformedMaskedInput(deviceID: deviceID, byteCount: maskedWords.count)
        }
        return maskedWords.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            (0..<raw.count / 4).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
        }
    }
}

/// Round 2 → 3, server → each survivor: who sent a masked input (U3) and who shared but did
/// not (U2 \ U3), both in id order.
public struct SecAggUnmaskingRequest: Codable, Sendable, Equatable {
    public var round: UInt64
    public var survivors: [String]
    public var dropped: [String]

    public init(round: UInt64, survivors: [String], dropped: [String]) {
        self.round = round
        self.survivors = survivors
        self.dropped = dropped
    }
}

/// One Shamir share a survivor reveals: its share of `owner`'s secret (the x-coordinate is the
/// replying device's roster position plus one).
public struct SecAggRevealedShare: Codable, Sendable, Equatable {
    public var owner: String
    public var share: Data

    public init(owner: String, share: Data) {
        self.owner = owner
        self.share = share
    }
}

/// Round 3, survivor → server: its share of `b_v` for every survivor `v` and of `s_v_sk` for
/// every dropped `v` — never both for the same `v`.
public struct SecAggUnmaskingReply: Codable, Sendable, Equatable {
    public var round: UInt64
    public var deviceID: String
    public var selfMaskSeedShares: [SecAggRevealedShare]
    public var maskingKeyShares: [SecAggRevealedShare]

    public init(round: UInt64, deviceID: String, selfMaskSeedShares: [SecAggRevealedShare],
                maskingKeyShares: [SecAggRevealedShare]) {
        self.round = round
        self.deviceID = deviceID
        self.selfMaskSeedShares = selfMaskSeedShares
        self.maskingKeyShares = maskingKeyShares
    }
}

/// The outcome of a round: the modular sum of the survivors' quantized inputs (dequantize it
/// with the round's `FixedPoint`), and who is in it.
public struct SecAggResult: Sendable, Equatable {
    public var sum: [UInt32]
    /// U3: whose inputs the sum holds; divide by their count (or weights) for a mean.
    public var survivors: [String]
    /// U2 \ U3: devices whose shares went out but whose inputs never arrived.
    public var dropped: [String]
}

/// What a share bundle holds once opened; encoded with DML's canonical encoding.
struct SecAggSharePlaintext: Sendable, Equatable {
    var sender: String
    var recipient: String
    var selfMaskSeedShare: [UInt8]
    var maskingKeyShare: [UInt8]

    init(sender: String, recipient: String, selfMaskSeedShare: [UInt8], maskingKeyShare: [UInt8]) {
        self.sender = sender
        self.recipient = recipient
        self.selfMaskSeedShare = selfMaskSeedShare
        self.maskingKeyShare = maskingKeyShare
    }

    var bytes: [UInt8] {
        var writer = ByteWriter(capacity: 80 + sender.utf8.count + recipient.utf8.count)
        writer.write(sender)
        writer.write(recipient)
        writer.writeVariable(selfMaskSeedShare)
        writer.writeVariable(maskingKeyShare)
        return writer.bytes
    }

    /// The plaintext in `bytes`, or nil when it is not exactly one well-formed plaintext.
    init?(bytes: [UInt8]) {
        var reader = ByteReader(bytes)
        let limit = SecAggConfig.deviceIDBytesMax
        guard let sender = try? reader.readString(maxBytes: limit, "sender"),
              let recipient = try? reader.readString(maxBytes: limit, "recipient"),
              let seedShare = try? reader.readVariable(maxBytes: MaskGenerator.seedBytes, "self-mask seed share"),
              let keyShare = try? reader.readVariable(maxBytes: MaskGenerator.seedBytes, "masking key share"),
              reader.isAtEnd else { return nil }
        self.init(sender: sender, recipient: recipient, selfMaskSeedShare: seedShare, maskingKeyShare: keyShare)
    }
}
