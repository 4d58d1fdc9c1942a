import Crypto
import DMLCore
@testable import DMLServer
import Foundation
import Testing

@Suite("API auth pieces: EdDSA web tokens (RFC 8037 vector), sealed custodial keys")
struct APIAuthTests {
    /// RFC 8037 appendix A.4: the Ed25519 JWS of "Example of Ed25519 signing".
    @Test("signs the RFC 8037 A.4 example byte for byte and verifies it")
    func rfc8037() throws {
        let seed = try #require(Base64URL.decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"))
        let signer = WebTokenSigner(key: try Curve25519.Signing.PrivateKey(rawRepresentation: seed))
        let token = signer.sign(header: "eyJhbGciOiJFZERTQSJ9", payload: "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc")
        #expect(token == "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
                + "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg")
    }

    @Test("tokens verify only with the same secret, untouched, and only as EdDSA")
    func tokens() throws {
        let signer = WebTokenSigner(secret: Array(repeating: 1, count: 32))
        let claims = AccessClaims(sub: "u1", acc: "dml1x", iat: 1, exp: 2, typ: "access")
        let token = signer.sign(claims)
        #expect(signer.verify(token, as: AccessClaims.self)?.sub == "u1")
        #expect(WebTokenSigner(secret: Array(repeating: 2, count: 32)).verify(token, as: AccessClaims.self) == nil)
        var parts = token.split(separator: ".").map(String.init)
        // Change the payload (sub u1 → u2) and keep the signature: refused.
        parts[1] = Base64URL.encode(Array(#"{"acc":"dml1x","exp":2,"iat":1,"sub":"u2","typ":"access"}"#.utf8))
        #expect(signer.verify(parts.joined(separator: "."), as: AccessClaims.self) == nil)
        // "alg": "none" with no signature: refused.
        let none = Base64URL.encode(Array(#"{"alg":"none"}"#.utf8)) + "." + parts[1] + "."
        #expect(signer.verify(none, as: AccessClaims.self) == nil)
        #expect(signer.verify("not a token", as: AccessClaims.self) == nil)
    }

    @Test("a sealed key opens only for its user, under its secret, unaltered")
    func custody() throws {
        let custody = KeyCustody(secret: Array("a server secret of at least 32 bytes!".utf8))
        let key = AccountKey.insecureDerived(from: "custody")
        let sealed = custody.seal(key, for: "user-1")
        #expect(custody.open(sealed, for: "user-1")?.account == key.account)
        #expect(custody.open(sealed, for: "user-2") == nil)
        #expect(KeyCustody(secret: Array("another server secret, also 32 bytes".utf8)).open(sealed, for: "user-1") == nil)
        var altered = sealed
        altered[20] ^= 1
        #expect(custody.open(altered, for: "user-1") == nil)
        #expect(custody.seal(key, for: "user-1") != sealed, "a fresh nonce every time")
    }
}
