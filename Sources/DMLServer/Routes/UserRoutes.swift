import Crypto
import DMLCore
import Foundation
import Hummingbird

/// `/v1/users`: sign-up, confirmation, sign-in by password or by key, refresh, me, profiles.
struct UserRoutes: Sendable {
    let server: APIServer

    var users: UserStore { server.users }

    func register(on router: Router<APIContext>) {
        let group = router.group("/v1/users")
        group.post { request, context in try await signUp(request, context) }
        group.post("/confirm") { request, context in
            let body = try await request.json(ConfirmBody.self, context: context)
            guard let user = try await users.confirm(token: body.token) else { throw APIError.notFound("confirmation token") }
            return try reply(UserView(user))
        }
        group.post("/login") { request, context in try await login(request, context) }
        group.post("/refresh") { request, context in
            let body = try await request.json(RefreshBody.self, context: context)
            let hash = Hash256.of(Array(body.refreshToken.utf8)).hex
            guard let id = try await users.useRefreshToken(hash: hash, now: server.now()), let user = try await users.find(id: id) else {
                throw APIError.unauthorized("the refresh token is unknown, used or expired; sign in again")
            }
            return try reply(try await server.session(for: user))
        }
        group.post("/challenge") { request, context in
            let body = try await request.json(ChallengeBody.self, context: context)
            let account = try Self.account(body.account, field: "account")
            let nonce = Self.randomToken(bytes: 16)
            let expires = server.now() + 300_000
            try await users.addChallenge(nonce, account: account, expires: expires)
            return try reply(ChallengeView(nonce: nonce, message: server.challengeMessage(nonce: nonce), expiresAtMilliseconds: expires), status: .created)
        }
        group.post("/key-login") { request, context in try await keyLogin(request, context) }
        group.get("/me") { _, context in
            let me = try context.requireUser()
            guard let user = try await users.find(id: me.userID) else { throw APIError.notFound("your user") }
            return try reply(UserView(user))
        }
        group.patch("/me") { request, context in
            let me = try context.requireUser()
            guard let user = try await users.find(id: me.userID) else { throw APIError.notFound("your user") }
            let patch = try await request.json(ProfilePatch.self, context: context)
            var profile = user.profile
            if let value = patch.displayName { profile.displayName = value }
            if let value = patch.bio { profile.bio = value }
            if let value = patch.country { profile.country = value.isEmpty ? nil : value }
            if let value = patch.website { profile.website = value }
            try await users.update(user.id, profile: try profile.validated(), now: server.now())
            guard let updated = try await users.find(id: user.id) else { throw APIError.notFound("your user") }
            return try reply(UserView(updated))
        }
        group.get("/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let user = try await users.find(id: id) else { throw APIError.notFound("user \(id)") }
            return try reply(PublicUserView(user))
        }
    }

    func signUp(_ request: Request, _ context: APIContext) async throws -> Response {
        let body = try await request.json(SignUpBody.self, context: context)
        let email = try Self.email(body.email)
        try server.passwords.check(body.password)
        let profile = try (body.profile ?? Profile()).validated()
        var new = UserStore.NewUser(email: email, passwordHash: try await server.passwords.hash(body.password),
                                    confirmationToken: Self.randomToken(), account: AccountKey().account, profile: profile, now: server.now())
        if let address = body.publicKey {
            // Self-custody: the user keeps their key and signs their own transactions. They
            // prove they hold it, so no one can claim another person's account.
            let account = try Self.account(address, field: "publicKey")
            guard let proof = body.challenge else {
                throw APIError.invalid("challenge", "signing up with publicKey needs {nonce, signature} of a challenge (POST /v1/users/challenge)")
            }
            try await verifyChallenge(account: account, nonce: proof.nonce, signature: proof.signature)
            new.account = account
        } else {
            let key = AccountKey()
            new.account = key.account
            new.sealedKey = server.custody.seal(key, for: new.id)
        }
        let user = try await users.create(new)
        server.logger.info("confirmation for \(email): \(new.confirmationToken ?? "")")
        let reveal = server.configuration.revealConfirmationTokens ? new.confirmationToken : nil
        return try reply(SignUpView(user: UserView(user), confirmationToken: reveal), status: .created)
    }

    func login(_ request: Request, _ context: APIContext) async throws -> Response {
        let body = try await request.json(LoginBody.self, context: context)
        let email = try Self.email(body.email)
        let found = try await users.credentials(email: email)
        // Verify against a dummy hash when the email is unknown, so timing does not tell which emails exist.
        let hash = found?.passwordHash ?? server.dummyPasswordHash
        let matches = try await server.passwords.verify(body.password, hash: hash)
        guard let (user, _) = found, matches else { throw APIError.unauthorized("the email or the password is wrong") }
        guard user.emailConfirmed else {
            throw APIError(.forbidden, "users.email_unconfirmed", "confirm your email first (POST /v1/users/confirm with the token sent to you)")
        }
        return try reply(try await server.session(for: user))
    }

    func keyLogin(_ request: Request, _ context: APIContext) async throws -> Response {
        let body = try await request.json(KeyLoginBody.self, context: context)
        let account = try Self.account(body.account, field: "account")
        try await verifyChallenge(account: account, nonce: body.nonce, signature: body.signature)
        var user = try await users.find(account: account)
        if user == nil {
            // First sign-in with a key: the account becomes a self-custody user.
            user = try await users.create(UserStore.NewUser(account: account, profile: Profile(), now: server.now()))
        }
        guard let user else { throw APIError.notFound("user for \(account)") }
        return try reply(try await server.session(for: user))
    }

    /// Uses up the challenge `nonce` and checks that `account`'s key signed its message.
    func verifyChallenge(account: AccountID, nonce: String, signature text: String) async throws {
        guard let challenge = try await users.takeChallenge(nonce), challenge.account == account.address,
              challenge.expires > server.now() else {
            throw APIError.unauthorized("the challenge is unknown, used, expired or for another account; ask for a new one")
        }
        guard let signature = Hex.decode(text), signature.count == 64,
              account.isValidSignature(signature, for: Array(server.challengeMessage(nonce: nonce).utf8)) else {
            throw APIError(.unauthorized, "auth.bad_signature", "the signature does not verify for \(account) over the challenge message")
        }
    }

    static func email(_ text: String) throws(APIError) -> String {
        let email = text.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
              !parts[1].hasSuffix("."), !email.contains(where: { $0.isWhitespace }) else {
            throw .invalid("email", "'\(text)' is not an email address")
        }
        return email
    }

    static func account(_ text: String, field: String) throws(APIError) -> AccountID {
        do { return try AccountID(address: text) } catch { throw .invalid(field, "\(error)") }
    }

    /// `bytes` random bytes (the system's cryptographic generator) in hex.
    static func randomToken(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}

// MARK: - Bodies and views

struct SignUpBody: Decodable {
    let email: String
    let password: String
    let profile: Profile?
    /// A `dml1…` address: the user keeps this key and signs their own transactions.
    let publicKey: String?
    /// With `publicKey`: a challenge for that account, signed by its key.
    let challenge: ChallengeProof?
}

struct ChallengeProof: Decodable { let nonce: String; let signature: String }

struct ConfirmBody: Decodable { let token: String }
struct LoginBody: Decodable { let email: String; let password: String }
struct RefreshBody: Decodable { let refreshToken: String }
struct ChallengeBody: Decodable { let account: String }
struct KeyLoginBody: Decodable { let account: String; let nonce: String; let signature: String }

struct ProfilePatch: Decodable {
    let displayName: String?
    let bio: String?
    let country: String?
    let website: String?
}

struct UserView: Codable, Sendable {
    let id: String
    let email: String?
    let emailConfirmed: Bool
    let account: String
    let custodial: Bool
    let profile: Profile
    let createdAtMilliseconds: UInt64

    init(_ user: User) {
        id = user.id
        email = user.email
        emailConfirmed = user.emailConfirmed
        account = user.account.address
        custodial = user.custodial
        profile = user.profile
        createdAtMilliseconds = user.createdMilliseconds
    }
}

struct PublicUserView: Codable, Sendable {
    let id: String
    let account: String
    let profile: Profile

    init(_ user: User) {
        id = user.id
        account = user.account.address
        profile = user.profile
    }
}

struct SignUpView: Codable, Sendable {
    let user: UserView
    /// Present only on development servers, which send no email.
    let confirmationToken: String?
}

struct ChallengeView: Codable, Sendable {
    let nonce: String
    /// Sign these exact UTF-8 bytes with the account's Ed25519 key.
    let message: String
    let expiresAtMilliseconds: UInt64
}

struct SessionView: Codable, Sendable {
    let accessToken: String
    let refreshToken: String
    let tokenType: String
    let expiresInSeconds: Int
    let user: UserView
}
