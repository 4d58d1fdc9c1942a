import DMLBlobs
import DMLCore
import DMLLedger
import DMLNode
import DMLSandbox
import DMLStore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

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
        /// Where uploaded algorithm artifacts are kept (content-addressed); shared by every
        /// process that serves the same chain.
        public var artifactsDirectory: String
        public var artifactBytesMax: UInt64 = 64 << 20
        /// Per client (user, or IP address when anonymous); `perSecond: 0` turns it off.
        public var rateLimit = RateLimiter.Policy(perSecond: 100, burst: 400)
        /// Per IP address, on sign-up and sign-in, so passwords cannot be guessed at the general rate.
        public var signInRateLimit = RateLimiter.Policy(perSecond: 0.5, burst: 20)
        /// How long a device holds a job's work before it may go to another device.
        public var jobLeaseSeconds = 120
        /// The longest a device's `POST /v1/jobs/work` waits for work (a proxy with a shorter
        /// timeout in front wants less).
        public var jobWaitMaxSeconds = 25
        /// The share of leases that carry a challenge input the server re-runs.
        public var jobChallengeRate = 0.25
        /// Re-runs challenges and disclosed inputs; `dml serve` uses a child process per run.
        public var algorithmRunner: any AlgorithmRunner = InProcessRunner()
        /// How long a federated round waits for all its devices to join before starting with
        /// the plan's minimum.
        public var federatedJoinMilliseconds: UInt64 = 5_000
        /// How long each later phase of a federated round waits for every expected device.
        public var federatedPhaseMilliseconds: UInt64 = 30_000
        /// The web console's folder; nil finds it (`DML_CONSOLE_DIR`, beside the binary, the sources).
        public var consoleDirectory: String?

        public init(secret: [UInt8], artifactsDirectory: String) {
            self.secret = secret
            self.artifactsDirectory = artifactsDirectory
        }
    }

    public let configuration: Configuration
    /// The ledger: sequenced here or followed from another process.
    public let ledger: LedgerAccess
    /// Who sequences, on PostgreSQL; `nil` when this process always does (SQLite, tests).
    let election: SequencerElection?
    let database: APIDatabase
    let users: UserStore
    let gateway: LedgerGateway
    let indexer: Indexer
    let custody: KeyCustody
    let tokens: WebTokenSigner
    let passwords: Passwords
    let artifacts: FileBlobStore
    /// Who holds which artifact's bytes, and the jobs vetted here: who may read an artifact.
    let holders: ArtifactHolders
    let jobs: JobService
    let federatedStore: FederatedStore
    let federated: FederatedCoordinator
    let metrics = APIMetrics()
    let listCache = ListCache()
    let rateLimiter: RateLimiter
    let signInRateLimiter: RateLimiter
    let logger: Logger
    let now: @Sendable () -> UInt64
    /// A real bcrypt hash of a random password, checked when an email is unknown.
    let dummyPasswordHash: String

    var log: BlockLog { ledger.log }

    /// A server that sequences `chain` itself.
    public convenience init(chain: LocalChain, database: APIDatabase, configuration: Configuration, logger: Logger,
                            now: @escaping @Sendable () -> UInt64 = LedgerService.wallClockMilliseconds) async throws {
        try await self.init(ledger: LedgerAccess(sequencing: chain, logger: logger), election: nil, database: database,
                            configuration: configuration, logger: logger, now: now)
    }

    /// A server on `ledger`; `election` (run beside the HTTP server) pumps the inbox and, on
    /// PostgreSQL, takes over sequencing when the lock comes free.
    public init(ledger: LedgerAccess, election: SequencerElection?, database: APIDatabase, configuration: Configuration,
                logger: Logger, now: @escaping @Sendable () -> UInt64 = LedgerService.wallClockMilliseconds) async throws {
        self.ledger = ledger
        self.election = election
        self.database = database
        self.configuration = configuration
        self.logger = logger
        self.now = now
        users = UserStore(database: database)
        gateway = LedgerGateway(ledger: ledger)
        indexer = Indexer(database: database, log: ledger.log, logger: logger) { body in await ledger.readingFresh(body) }
        custody = KeyCustody(secret: configuration.secret)
        tokens = WebTokenSigner(secret: configuration.secret)
        passwords = Passwords(cost: configuration.bcryptCost)
        artifacts = try FileBlobStore(directory: configuration.artifactsDirectory)
        holders = ArtifactHolders(database: database)
        jobs = JobService(database: database, secret: configuration.secret, runner: configuration.algorithmRunner,
                          leaseSeconds: configuration.jobLeaseSeconds, challengeRate: configuration.jobChallengeRate)
        federatedStore = FederatedStore(database: database)
        federated = FederatedCoordinator(
            store: federatedStore, ledger: ledger, gateway: gateway, artifacts: artifacts, validator: jobs.validator,
            settings: .init(joinMilliseconds: configuration.federatedJoinMilliseconds,
                            phaseMilliseconds: configuration.federatedPhaseMilliseconds),
            logger: logger)
        rateLimiter = RateLimiter(configuration.rateLimit)
        signInRateLimiter = RateLimiter(configuration.signInRateLimit)
        dummyPasswordHash = try await passwords.hash(UserRoutes.randomToken())
        try await indexer.catchUp()
        try await holders.backfillIfNew(ledger, artifacts: artifacts, now: now())
    }

    /// The routes, with errors shaped and tokens read.
    public func makeRouter() -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        // Outermost first: log and count everything, shape every error, then who is calling,
        // whether they may write at all, their rate, and replays of POSTs they already made.
        router.add(middleware: RequestLogMiddleware(metrics: metrics, logger: logger))
        router.add(middleware: ErrorShaper(logger: logger))
        router.add(middleware: Authenticator(tokens: tokens, now: now))
        router.add(middleware: RequestGate())
        router.add(middleware: RateLimitMiddleware(general: rateLimiter, signIn: signInRateLimiter))
        router.add(middleware: IdempotencyMiddleware(database: database, now: now))
        SystemRoutes(server: self).register(on: router)
        UserRoutes(server: self).register(on: router)
        LedgerRoutes(server: self).register(on: router)
        BountyRoutes(server: self).register(on: router)
        AlgorithmRoutes(server: self).register(on: router)
        TaskRoutes(server: self).register(on: router)
        StorageRoutes(server: self).register(on: router)
        VoucherRoutes(server: self).register(on: router)
        JobRoutes(server: self).register(on: router)
        FederatedRoutes(server: self).register(on: router)
        ConsoleRoutes(files: configuration.consoleDirectory.map { ConsoleFiles(root: URL(fileURLWithPath: $0)) } ?? ConsoleFiles())
            .register(on: router)
        return router
    }

    /// The server `dml serve` runs: with the election that pumps the inbox and, on PostgreSQL,
    /// takes over sequencing; losing the lock shuts the server down.
    public static func make(ledger: LedgerAccess, lock: SequencerLock?, location: DatabaseLocation,
                            ledgerConfiguration: LedgerService.Configuration, database: APIDatabase,
                            configuration: Configuration, logger: Logger) async throws -> APIServer {
        let stopper = ShutdownRelay()
        let election = SequencerElection(access: ledger, lock: lock, location: location, ledgerConfiguration: ledgerConfiguration,
                                         logger: logger) { await stopper.fire() }
        let server = try await APIServer(ledger: ledger, election: election, database: database, configuration: configuration, logger: logger)
        await stopper.set(server)
        return server
    }

    /// Serves until SIGINT/SIGTERM (or until the task is cancelled); `onListening` gets the bound port.
    ///
    /// Shutdown is graceful and ordered: first `/ready` turns 503 and event streams end, then the
    /// HTTP server stops accepting and finishes the requests in flight (each write waits for
    /// its block to be durable), then the indexer stops. The caller closes the chain after.
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "dml"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? -1) },
            logger: logger)
        // A group shuts its services down from the last to the first.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let election { services.append(.init(service: election)) }
        services += [.init(service: IndexerService(indexer: indexer, intervalMilliseconds: configuration.indexIntervalMilliseconds)),
                     .init(service: app), .init(service: DrainSignal(server: self))]
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        running.withLock { $0 = group }
        defer { running.withLock { $0 = nil } }
        try await group.run()
    }

    private let running = Mutex<ServiceGroup?>(nil)

    /// Begins the graceful shutdown that SIGTERM begins (for embedding and tests).
    public func shutdown() async {
        let group = running.withLock { $0 }
        await group?.triggerGracefulShutdown()
    }

    /// True once shutdown has begun: readiness fails and streams end, so clients move on.
    let draining = Atomic<Bool>(false)
    var isDraining: Bool { draining.load(ordering: .relaxed) }

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
    func challengeMessage(nonce: String) -> String { "DML-LOGIN\n\(ledger.chainID.hex)\n\(nonce)" }

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
        let inclusion = try await gateway.submit(call, as: key)
        // Reads of the index right after a write see it.
        _ = try? await indexer.catchUp()
        return Submitted(inclusion: inclusion)
    }
}

/// Follows the log into the index until shutdown.
struct IndexerService: Service {
    let indexer: Indexer
    let intervalMilliseconds: UInt64

    func run() async throws {
        await cancelWhenGracefulShutdown { await indexer.follow(intervalMilliseconds: intervalMilliseconds) }
    }
}

/// Raises the server's draining flag when shutdown begins, before the HTTP server stops.
struct DrainSignal: Service {
    let server: APIServer

    func run() async throws {
        try? await gracefulShutdown()
        server.draining.store(true, ordering: .relaxed)
        server.logger.info("shutting down: finishing requests in flight")
    }
}

/// Lets the election stop a server created after it.
actor ShutdownRelay {
    private weak var server: APIServer?
    func set(_ server: APIServer) { self.server = server }
    func fire() async { await server?.shutdown() }
}
