import DMLCore
import Foundation
import SQLKit

/// A person (or a program) known to the API, and the ledger account that acts for them.
public struct User: Sendable, Equatable {
    public let id: String
    public let email: String?
    public var emailConfirmed: Bool
    public let account: AccountID
    /// The server keeps this user's key (sealed); otherwise the user signs their own transactions.
    public let custodial: Bool
    public var profile: Profile
    public let createdMilliseconds: UInt64
}

/// What a user says about themselves; only they change it.
public struct Profile: Codable, Sendable, Equatable {
    public var displayName: String
    public var bio: String
    /// ISO 3166-1 alpha-2, upper case.
    public var country: String?
    public var website: String

    public init(displayName: String = "", bio: String = "", country: String? = nil, website: String = "") {
        self.displayName = displayName
        self.bio = bio
        self.country = country
        self.website = website
    }

    /// Every field is optional in JSON; a missing one is empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        displayName = try container.decodeIfPresent(String.self, forKey: .displayName) ?? ""
        bio = try container.decodeIfPresent(String.self, forKey: .bio) ?? ""
        country = try container.decodeIfPresent(String.self, forKey: .country)
        website = try container.decodeIfPresent(String.self, forKey: .website) ?? ""
    }

    static let displayNameMax = 80, bioMax = 2_000, websiteMax = 200

    /// Checks every field; the error names the first one that is wrong.
    func validated() throws(APIError) -> Profile {
        var profile = self
        profile.displayName = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard profile.displayName.count <= Self.displayNameMax else { throw .invalid("displayName", "at most \(Self.displayNameMax) characters") }
        guard !profile.displayName.contains(where: { $0.isNewline }) else { throw .invalid("displayName", "one line") }
        guard bio.count <= Self.bioMax else { throw .invalid("bio", "at most \(Self.bioMax) characters") }
        if let country {
            let upper = country.uppercased()
            guard CountryCodes.all.contains(upper) else { throw .invalid("country", "'\(country)' is not an ISO 3166-1 alpha-2 code (e.g. DE, KE, BR)") }
            profile.country = upper
        }
        guard website.count <= Self.websiteMax else { throw .invalid("website", "at most \(Self.websiteMax) characters") }
        if !website.isEmpty {
            guard let url = URL(string: website), ["https", "http"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw .invalid("website", "an http(s) URL")
            }
        }
        return profile
    }
}

/// Users, sign-in challenges and refresh tokens in the API database.
struct UserStore: Sendable {
    let database: APIDatabase
    var sql: any SQLDatabase { database.sql }

    struct NewUser {
        var id = UUID().uuidString.lowercased()
        var email: String?
        var passwordHash: String?
        var confirmationToken: String?
        var account: AccountID
        var sealedKey: [UInt8]?
        var profile: Profile
        var now: UInt64
    }

    /// Stores a new user; a taken email or account is a 409.
    func create(_ user: NewUser) async throws -> User {
        if let email = user.email, try await find(email: email) != nil {
            throw APIError.conflict("users.email_taken", "an account with this email exists; sign in instead")
        }
        if try await find(account: user.account) != nil {
            throw APIError.conflict("users.account_taken", "the key \(user.account) is already registered")
        }
        do {
            try await sql.raw("""
                INSERT INTO api_users (id, email, password_hash, email_confirmed, confirmation_token, account, sealed_key,
                  display_name, bio, country, website, created_ms, updated_ms)
                VALUES (\(bind: user.id), \(bind: user.email), \(bind: user.passwordHash), \(bind: user.email == nil),
                  \(bind: user.confirmationToken), \(bind: user.account.address), \(bind: user.sealedKey.map { Data($0) }),
                  \(bind: user.profile.displayName), \(bind: user.profile.bio), \(bind: user.profile.country), \(bind: user.profile.website),
                  \(bind: Int64(user.now)), \(bind: Int64(user.now)))
                """).run()
        } catch {
            // Two sign-ups raced past the checks above and the unique index decided; any other
            // failure (the database away, say) is not the client's conflict.
            if let email = user.email, try await find(email: email) != nil {
                throw APIError.conflict("users.email_taken", "an account with this email exists; sign in instead")
            }
            if try await find(account: user.account) != nil {
                throw APIError.conflict("users.account_taken", "the key \(user.account) is already registered")
            }
            throw error
        }
        guard let created = try await find(id: user.id) else { throw APIError(.internalServerError, "server.error", "the new user was not stored") }
        return created
    }

    static let columns = "id, email, email_confirmed, account, sealed_key IS NOT NULL AS custodial, display_name, bio, country, website, created_ms"

    func find(id: String) async throws -> User? { try await one("id", id) }
    func find(email: String) async throws -> User? { try await one("email", email) }
    func find(account: AccountID) async throws -> User? { try await one("account", account.address) }

    private func one(_ column: String, _ value: String) async throws -> User? {
        let row = try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM api_users WHERE \(unsafeRaw: column) = \(bind: value)").first()
        return try row.map(Self.user)
    }

    static func user(_ row: any SQLRow) throws -> User {
        guard let account = try? AccountID(address: try row.decode(column: "account", as: String.self)) else {
            throw APIError(.internalServerError, "server.corrupt_user", "a stored user has an unreadable account")
        }
        return User(
            id: try row.decode(column: "id", as: String.self),
            email: try row.decode(column: "email", as: String?.self),
            emailConfirmed: try row.decode(column: "email_confirmed", as: Bool.self),
            account: account,
            custodial: try row.decode(column: "custodial", as: Bool.self),
            profile: Profile(displayName: try row.decode(column: "display_name", as: String.self),
                             bio: try row.decode(column: "bio", as: String.self),
                             country: try row.decode(column: "country", as: String?.self),
                             website: try row.decode(column: "website", as: String.self)),
            createdMilliseconds: UInt64(try row.decode(column: "created_ms", as: Int64.self)))
    }

    /// The password hash and sealed key of the user with `email`, for sign-in.
    func credentials(email: String) async throws -> (user: User, passwordHash: String?)? {
        guard let row = try await sql.raw("SELECT \(unsafeRaw: Self.columns), password_hash FROM api_users WHERE email = \(bind: email)").first()
        else { return nil }
        return (try Self.user(row), try row.decode(column: "password_hash", as: String?.self))
    }

    func sealedKey(of userID: String) async throws -> [UInt8]? {
        let row = try await sql.raw("SELECT sealed_key FROM api_users WHERE id = \(bind: userID)").first()
        return try row?.decode(column: "sealed_key", as: Data?.self).map { Array($0) }
    }

    /// Confirms the email whose confirmation token is `token`; `nil` if no user has it.
    func confirm(token: String) async throws -> User? {
        guard let row = try await sql.raw("SELECT id FROM api_users WHERE confirmation_token = \(bind: token)").first() else { return nil }
        let id = try row.decode(column: "id", as: String.self)
        try await sql.raw("UPDATE api_users SET email_confirmed = \(bind: true), confirmation_token = NULL WHERE id = \(bind: id)").run()
        return try await find(id: id)
    }

    func update(_ id: String, profile: Profile, now: UInt64) async throws {
        try await sql.raw("""
            UPDATE api_users SET display_name = \(bind: profile.displayName), bio = \(bind: profile.bio),
              country = \(bind: profile.country), website = \(bind: profile.website), updated_ms = \(bind: Int64(now))
            WHERE id = \(bind: id)
            """).run()
    }

    // MARK: - Key sign-in challenges

    func addChallenge(_ nonce: String, account: AccountID, expires: UInt64) async throws {
        try await sql.raw("DELETE FROM api_challenges WHERE expires_ms < \(bind: Int64(expires) - 3_600_000)").run()
        try await sql.raw("INSERT INTO api_challenges (nonce, account, expires_ms) VALUES (\(bind: nonce), \(bind: account.address), \(bind: Int64(expires)))").run()
    }

    /// Removes and returns the challenge in one statement: each is answered at most once,
    /// even by two requests racing with the same nonce.
    func takeChallenge(_ nonce: String) async throws -> (account: String, expires: UInt64)? {
        guard let row = try await sql.raw("DELETE FROM api_challenges WHERE nonce = \(bind: nonce) RETURNING account, expires_ms").first()
        else { return nil }
        return (try row.decode(column: "account", as: String.self), UInt64(try row.decode(column: "expires_ms", as: Int64.self)))
    }

    // MARK: - Refresh tokens (stored hashed; each is used once and replaced)

    func addRefreshToken(hash: String, user: String, expires: UInt64) async throws {
        try await sql.raw("""
            INSERT INTO api_refresh_tokens (token_hash, user_id, expires_ms, revoked)
            VALUES (\(bind: hash), \(bind: user), \(bind: Int64(expires)), \(bind: false))
            """).run()
    }

    /// The user of a live refresh token, which this use revokes (in one statement, so two
    /// racing uses of one token cannot both succeed).
    func useRefreshToken(hash: String, now: UInt64) async throws -> String? {
        guard let row = try await sql.raw("""
            UPDATE api_refresh_tokens SET revoked = \(bind: true)
            WHERE token_hash = \(bind: hash) AND revoked = \(bind: false) RETURNING user_id, expires_ms
            """).first() else { return nil }
        guard UInt64(try row.decode(column: "expires_ms", as: Int64.self)) > now else { return nil }
        return try row.decode(column: "user_id", as: String.self)
    }
}
