import DMLCore
import DMLLedger
import DMLNode
import DMLStore
import Foundation
import Hummingbird
import Logging

/// `dml serve`: the sequencer, the indexer and the HTTP API in one process.
///
/// ```
/// HTTP (Hummingbird) ─▶ routes ─▶ LedgerGateway ─▶ LedgerService (sequencer) ─▶ BlockLog
///                         │                                                     │
///                         └──── reads: ledger state (details), index tables ◀── Indexer
/// ```
public final class APIServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// The secret that seals custodial keys and signs tokens (`DML_SECRET`, ≥ 32 bytes).
        public var secret: [UInt8]
        public var accessTokenSeconds = 900
        public var refreshTokenSeconds = 30 * 24 * 3_600
        public var bcryptCost: UInt8 = 12
        /// Development servers send no email, so sign-up returns the confirmation token.
        public var revealConfirmationTokens = true
        public var indexIntervalMilliseconds: UInt64 = 20

        public init(secret: [UInt8]) { self.secret = secret }
    }

    public let configuration: Configuration
    let chain: LocalChain
    let database: APIDatabase
    let users: UserStore
    let gateway: LedgerGateway
    let indexer: Indexer
    let custody: KeyCustody
    let tokens: WebTokenSigner
    let passwords: Passwords
    let logger: Logger
    let now: @Sendable () -> UInt64
    /// A real bcrypt hash of a random password, checked when an email is unknown.
    let dummyPasswordHash: String

    var service: LedgerService { chain.service }
    var log: BlockLog { chain.log }

    public init(chain: LocalChain, database: APIDatabase, configuration: Configuration, logger: Logger,
                now: @escaping @Sendable () -> UInt64 = LedgerService.wallClockMilliseconds) async throws {
        self.chain = chain
        self.database = database
        self.configuration = configuration
        self.logger = logger
        self.now = now
        users = UserStore(database: database)
        gateway = LedgerGateway(service: chain.service)
        let service = chain.service
        indexer = Indexer(database: database, log: chain.log, logger: logger) { body in await service.reading(body) }
        custody = KeyCustody(secret: configuration.secret)
        tokens = WebTokenSigner(secret: configuration.secret)
        passwords = Passwords(cost: configuration.bcryptCost)
        dummyPasswordHash = try await passwords.hash(UserRoutes.randomToken())
        try await indexer.catchUp()
    }

    /// The routes, with errors shaped and tokens read.
    public func makeRouter() -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.add(middleware: ErrorShaper(logger: logger))
        router.add(middleware: Authenticator(tokens: tokens, now: now))
        SystemRoutes(server: self).register(on: router)
        UserRoutes(server: self).register(on: router)
        LedgerRoutes(server: self).register(on: router)
        BountyRoutes(server: self).register(on: router)
        return router
    }

    /// Serves until SIGINT/SIGTERM; `onListening` gets the bound port.
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "dml"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? -1) },
            logger: logger)
        let indexing = Task { await indexer.follow(intervalMilliseconds: configuration.indexIntervalMilliseconds) }
        defer { indexing.cancel() }
        try await app.runService()
    }

    // MARK: - Helpers for routes

    /// Issues an access token and a refresh token for `user`.
    func session(for user: User) async throws -> SessionView {
        let issued = Int(now() / 1_000)
        let access = tokens.sign(AccessClaims(sub: user.id, acc: user.account.address, iat: issued,
                                              exp: issued + configuration.accessTokenSeconds, typ: "access"))
        let refresh = UserRoutes.randomToken()
        let hash = Hash256.of(Array(refresh.utf8)).hex
        try await users.addRefreshToken(hash: hash, user: user.id, expires: now() + UInt64(configuration.refreshTokenSeconds) * 1_000)
        return SessionView(accessToken: access, refreshToken: refresh, tokenType: "Bearer",
                           expiresInSeconds: configuration.accessTokenSeconds, user: UserView(user))
    }

    /// What a key signs to sign in: bound to this chain, so it cannot be replayed elsewhere.
    func challengeMessage(nonce: String) -> String { "DML-LOGIN\n\(service.chainID.hex)\n\(nonce)" }

    /// The key the server keeps for `user`, or a 409 telling a self-custody user to sign.
    func custodialKey(_ user: SignedIn) async throws -> AccountKey {
        guard let sealed = try await users.sealedKey(of: user.userID) else {
            throw APIError.conflict("users.self_custody",
                                    "you keep your own key: sign the transaction yourself and POST it to /v1/ledger/transactions")
        }
        guard let key = custody.open(sealed, for: user.userID), key.account == user.account else {
            throw APIError(.internalServerError, "server.key_unreadable", "your key cannot be opened with this server's secret")
        }
        return key
    }

    struct Submitted: Sendable {
        let inclusion: LedgerService.Inclusion
        var receipt: TransactionReceipt { TransactionReceipt(inclusion) }
    }

    /// Signs `call` with the user's custodial key and waits until its block is durable.
    func submit(_ call: Call, for user: SignedIn) async throws -> Submitted {
        let key = try await custodialKey(user)
        switch await gateway.submit(call, as: key) {
        case .success(let inclusion):
            // Reads of the index right after a write see it.
            _ = try? await indexer.catchUp()
            return Submitted(inclusion: inclusion)
        case .failure(let error):
            throw APIError(submit: error)
        }
    }
}
