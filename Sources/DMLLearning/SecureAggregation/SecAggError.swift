/// Why a secure-aggregation step was refused: a bad configuration, a malformed or out-of-turn
/// message, too few devices left, or a request that would break a device's privacy.
///
/// Every case is an expected failure of the protocol (a device dropped, a message arrived
/// late, a peer misbehaved) and carries what is needed to tell which one; a refused call
/// leaves the device or server exactly as it was.
public enum SecAggError: Error, Equatable, Sendable {
    // MARK: Configuration

    /// The threshold must be at least 2 (a "sum" of one update is that update) and at most
    /// the number of shares or devices it is applied to.
    case invalidThreshold(threshold: Int, shareCount: Int)
    /// A round's vector length must be in `1...SecAggConfig.vectorLengthMax`.
    case invalidVectorLength(count: Int, max: Int)
    /// The clip must be finite and positive and `maxContributors · clip` at most `2³¹ − 1`,
    /// or the fixed-point scale would be zero.
    case invalidQuantization(clip: Float, maxContributors: Int)
    /// An update holds NaN at `index`: it has no place in `[−clip, clip]` (infinities clip).
    case notANumber(index: Int)

    // MARK: Shamir sharing

    /// GF(2⁸) has 255 non-zero x-coordinates, so at most 255 shares (and devices).
    case tooManyShares(count: Int, max: Int)
    /// Fewer shares than the threshold: the secret is undetermined.
    case tooFewShares(count: Int, needed: Int)
    /// A share at x = 0 would be the secret itself; shares live at x in 1...255.
    case shareXZero
    /// Two shares at the same x-coordinate.
    case duplicateShareX(UInt8)
    /// Shares of one secret must all have the secret's length.
    case shareLengthMismatch(expected: Int, found: Int)

    // MARK: Protocol flow

    /// A message for another round (a late or replayed message).
    case wrongRound(expected: UInt64, found: UInt64)
    /// A message or call out of turn: the party is in `actual`, the call belongs to `expected`.
    case wrongPhase(expected: SecAggPhase, actual: SecAggPhase)
    /// Device identifiers are 1...128 printable ASCII characters (so that their order is the
    /// same byte order in every language).
    case invalidDeviceID(String)
    /// The same device twice: a second advertisement, upload, input or reply, or a list that
    /// names a device twice.
    case duplicateDevice(String)
    /// A device that is not in the roster or not in the set this phase allows.
    case unknownDevice(String)
    /// Fewer devices than the threshold remain at `phase`: the round cannot complete without
    /// exposing too small a sum, so it stops.
    case tooFewDevices(phase: SecAggPhase, count: Int, threshold: Int)
    /// More devices than Shamir over GF(2⁸) can give shares to.
    case tooManyDevices(count: Int, max: Int)
    /// Two devices advertised the same public key (a replayed or copied key).
    case duplicateKey(deviceID: String)
    /// A public key that is not 32 bytes or that gives the all-zero X25519 secret (a
    /// low-order point that would make the derived keys public).
    case invalidPublicKey(deviceID: String)
    /// An advertisement's self-mask commitment is not a 32-byte SHA-256 digest.
    case malformedCommitment(deviceID: String)
    /// The roster is not in strictly increasing device-id order.
    case rosterNotInOrder
    /// The roster leaves out this device or carries keys that are not its own.
    case ownKeyMissing(deviceID: String)
    /// The server's set for `phase` leaves out the device it was sent to.
    case selfNotListed(deviceID: String, phase: SecAggPhase)

    // MARK: Shares in transit

    /// A share bundle from or to the wrong device.
    case misaddressedShare(sender: String, recipient: String)
    /// A device's upload or delivery lacks the bundle between these two devices.
    case missingShare(sender: String, recipient: String)
    /// A bundle that does not open under the pair's key: corrupted or forged.
    case shareDecryptionFailed(sender: String)
    /// A bundle that opens but does not hold what it should (ids, share lengths).
    case malformedShare(sender: String)

    // MARK: Masked inputs

    /// A vector whose length is not the round's.
    case vectorLengthMismatch(deviceID: String, count: Int, expected: Int)
    /// A masked input whose bytes are not a whole number of 32-bit words.
    case malformedMaskedInput(deviceID: String, byteCount: Int)

    // MARK: Unmasking guards

    /// The unmasking request lists a device as both survivor and dropped: answering would
    /// reveal both its self-mask seed and its masking key, hence its update.
    case deviceInBothSets(String)
    /// This request, with the ones already answered, would reveal both masks of a device.
    case wouldRevealBothMasks(String)
    /// A reply lacks (or has a malformed) share for a device the request named.
    case replyMissingShares(deviceID: String, owner: String)
    /// A reply carries a share the request did not ask for.
    case unexpectedShare(deviceID: String, owner: String)
    /// The shares of a device's secret do not rebuild it (checked against its commitment or
    /// public key): some reply was wrong.
    case reconstructionFailed(owner: String)
}
