import Crypto
import Foundation

/// JSON Web Tokens signed with Ed25519 (`alg: EdDSA`, RFC 8037) — the only algorithm the
/// server issues or accepts, so "alg: none" and algorithm-confusion attacks have nothing to
/// work with. About sixty lines instead of a package: decision 0007.
struct WebTokenSigner: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    init(key: Curve25519.Signing.PrivateKey) { self.key = key }

    /// The signing key derived from the server secret, so every process sharing the secret
    /// accepts every other's tokens.
    init(secret: [UInt8]) {
        let seed = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: secret), info: Array("dml-jwt-v1".utf8), outputByteCount: 32)
        // 32 bytes is always a valid Ed25519 seed.
        key = seed.withUnsafeBytes { try! Curve25519.Signing.PrivateKey(rawRepresentation: $0) }
    }

    static let header = Base64URL.encode(Array(#"{"alg":"EdDSA","typ":"JWT"}"#.utf8))

    func sign(_ claims: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Encoding plain claim structs cannot fail.
        let payload = Base64URL.encode(Array(try! encoder.encode(claims)))
        return sign(header: Self.header, payload: payload)
    }

    func sign(header: String, payload: String) -> String {
        let input = Array("\(header).\(payload)".utf8)
        // Ed25519 signing fails only on allocation failure.
        let signature = try! key.signature(for: input)
        return "\(header).\(payload).\(Base64URL.encode(Array(signature)))"
    }

    /// The claims of a token this server signed; `nil` if it is malformed, uses another
    /// algorithm or was not signed by this key.
    func verify<Claims: Decodable>(_ token: String, as: Claims.Type) -> Claims? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= 4_096,
              let headerBytes = Base64URL.decode(parts[0]), let payloadBytes = Base64URL.decode(parts[1]),
              let signature = Base64URL.decode(parts[2]),
              let header = try? JSONDecoder().decode([String: String].self, from: Data(headerBytes)),
              header["alg"] == "EdDSA",
              key.publicKey.isValidSignature(signature, for: Array("\(parts[0]).\(parts[1])".utf8)) else { return nil }
        return try? JSONDecoder().decode(Claims.self, from: Data(payloadBytes))
    }
}

/// Base64url without padding (RFC 4648 §5), as JWTs use it.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map(Array.init)
    }
}

/// What an access token says: who (the user id), which ledger account, until when.
struct AccessClaims: Codable, Sendable {
    let sub: String
    let acc: String
    let iat: Int
    let exp: Int
    let typ: String
}
