import AsyncHTTPClient
import DMLCore
import DMLLedger
import DMLNode
import DMLSandbox
import DMLServer
import DMLStore
import DMLWorker
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat

/// Where the demo plays: a fresh data folder laid out as `dml serve --data DIR` expects (so the
/// same folder can be served again afterwards), the API server running in this process on a
/// loopback port, and the HTTP calls every actor makes. Everything goes through the public API
/// or signed transactions, as it would from another machine.
final class DemoStage: @unchecked Sendable {
    let folder: String
    let chain: LocalChain
    let server: APIServer
    let database: APIDatabase
    let admin: AccountKey
    let port: Int
    private let running: Task<Void, any Error>

    var base: URL { URL(string: "http://127.0.0.1:\(port)")! }
    var chainID: Hash256 { chain.service.chainID }

    /// Opens a new chain in `folder` (which must be empty) and starts serving it on `port` (0: any).
    static func open(folder: String, port: Int) async throws -> DemoStage {
        let keys = KeyStore(dataDirectory: folder)
        let admin = try keys.create("admin")
        let location = DatabaseLocation.sqlite(path: (folder as NSString).appendingPathComponent("ledger.sqlite"))
        var ledgerConfiguration = LedgerService.Configuration()
        ledgerConfiguration.blockIntervalMilliseconds = 5
        let chain = try await LocalChain.open(location, spec: newChainSpec(admin: admin.account, allocation: .tokens(1_000_000)!),
                                              configuration: ledgerConfiguration, logger: quietLogger())
        var logger = Logger(label: "dml.demo")
        logger.logLevel = ProcessInfo.processInfo.environment["DML_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        let database = try await APIDatabase.open(APIDatabase.location(forLog: location, dataDirectory: folder), logger: logger)
        var configuration = APIServer.Configuration(secret: try Serve.secret(dataDirectory: folder),
                                                    artifactsDirectory: (folder as NSString).appendingPathComponent("artifacts"))
        configuration.port = port
        // Passwords are demo passwords; a low cost keeps sign-ups quick. Limits stay on.
        configuration.bcryptCost = 4
        // Seventeen sign-ins come from one address within a second; a public server would see
        // them from seventeen. The general per-client limit stays as `dml serve` has it.
        configuration.signInRateLimit = .init(perSecond: 20, burst: 100)
        configuration.jobWaitMaxSeconds = 5
        configuration.algorithmRunner = ChildProcessSandbox.ofThisExecutable()
        // Devices join within 15 s; a phase waits 3 s for a device that vanished (ten trainer
        // processes on two cores, in a debug build, answer well inside that).
        configuration.federatedJoinMilliseconds = 15_000
        configuration.federatedPhaseMilliseconds = 3_000
        let server = try await APIServer.make(ledger: LedgerAccess(sequencing: chain, logger: logger), lock: nil, location: location,
                                              ledgerConfiguration: ledgerConfiguration, database: database,
                                              configuration: configuration, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let running = Task {
            // Finished either way, so a server that fails to bind ends the wait below.
            defer { continuation.finish() }
            try await server.run { continuation.yield($0) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next(), bound > 0 else {
            running.cancel()
            let reason = if case .failure(let error) = await running.result { "\(error)" } else { "it stopped" }
            await database.close()
            await chain.close()
            throw CommandFailure("the demo's server did not start on port \(port): \(reason)")
        }
        return DemoStage(folder: folder, chain: chain, server: server, database: database, admin: admin, port: bound, running: running)
    }

    private init(folder: String, chain: LocalChain, server: APIServer, database: APIDatabase, admin: AccountKey, port: Int,
                 running: Task<Void, any Error>) {
        self.folder = folder
        self.chain = chain
        self.server = server
        self.database = database
        self.admin = admin
        self.port = port
        self.running = running
    }

    /// Serves until SIGINT/SIGTERM (the server's own signal handling), then closes.
    func serveUntilSignalled() async throws {
        try await running.value
        await closeStores()
    }

    func close() async {
        await server.shutdown()
        _ = try? await running.value
        await closeStores()
    }

    private func closeStores() async {
        await database.close()
        await chain.close()
    }

    // MARK: Actors

    /// A person with an email account whose key the server keeps (custodial), signed in.
    func person(_ name: String) async throws -> DemoActor {
        let email = "\(name)@demo.dml", password = "demo password for \(name)"
        let client = DeviceClient(server: base, key: AccountKey())
        let signUp = try await json(client, "POST", "/v1/users", ["email": email, "password": password,
                                                                   "profile": ["displayName": name.capitalized]], signedIn: false)
        guard let token = signUp["confirmationToken"] as? String else { throw CommandFailure("sign-up returned no confirmation token") }
        _ = try await json(client, "POST", "/v1/users/confirm", ["token": token], signedIn: false)
        let session = try await json(client, "POST", "/v1/users/login", ["email": email, "password": password], signedIn: false)
        guard let access = session["accessToken"] as? String, let user = session["user"] as? [String: Any],
              let address = user["account"] as? String else { throw CommandFailure("login returned no session") }
        client.useToken(access)
        return DemoActor(name: name, account: try AccountID(address: address), client: client, key: nil)
    }

    /// An account whose key lives here (self-custody), signed in by a challenge signature.
    func keyHolder(_ name: String, key: AccountKey) async throws -> DemoActor {
        let client = DeviceClient(server: base, key: key)
        try await client.signIn()
        return DemoActor(name: name, account: key.account, client: client, key: key)
    }

    // MARK: Money and signed transactions

    /// The admin (genesis holder) sends `tokens` DML to each account, in signed transfers.
    func fund(_ accounts: [AccountID], tokens: UInt64) async throws {
        for account in accounts {
            try await submitSigned(BalancesCall.transfer(to: account, amount: .tokens(tokens)!).call, by: admin)
        }
    }

    /// Signs `call` with `key` here and posts the canonical bytes (`POST /v1/ledger/transactions`).
    @discardableResult
    func submitSigned(_ call: Call, by key: AccountKey) async throws -> [String: Any] {
        let client = DeviceClient(server: base, key: key)
        let account = try await json(client, "GET", "/v1/ledger/accounts/\(key.account.address)", signedIn: false)
        guard let nonce = (account["nextNonce"] as? NSNumber)?.uint64Value else { throw CommandFailure("no nonce for \(key.account)") }
        let transaction = SignedTransaction(chain: chainID, key: key, nonce: nonce, call: call)
        return try await json(client, "POST", "/v1/ledger/transactions", ["transaction": Hex.encode(transaction.canonicalBytes)],
                              signedIn: false)
    }

    func balance(_ account: AccountID) async -> Amount {
        await chain.service.reading { Balances.balance(of: account, in: $0).free }
    }

    // MARK: HTTP

    /// The JSON reply; an array (the few unpaged lists) comes back as `items` and `total`.
    func json(_ client: DeviceClient, _ method: String, _ path: String, _ body: Any? = nil, signedIn: Bool = true) async throws -> [String: Any] {
        let data: Data
        do {
            data = try await client.send(method, path, body: body, signedIn: signedIn)
        } catch let failure as DeviceClient.Failure {
            throw CommandFailure("\(method) \(path.split(separator: "?")[0]) → \(failure)")
        }
        guard !data.isEmpty else { return [:] }
        switch try JSONSerialization.jsonObject(with: data) {
        case let object as [String: Any]: return object
        case let array as [Any]: return ["items": array, "total": array.count]  // the few unpaged lists
        default: throw CommandFailure("\(method) \(path) did not return JSON")
        }
    }

    /// Raw bytes to `path` with their length (artifact uploads).
    func upload(_ bytes: [UInt8], to path: String, token: String) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: base.absoluteString + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .bytes(bytes)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = Data(buffer: try await response.body.collect(upTo: 1 << 20))
        guard (200..<300).contains(Int(response.status.code)),
              let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw CommandFailure("upload to \(path): HTTP \(response.status.code) \(String(decoding: body.prefix(300), as: UTF8.self))")
        }
        return object
    }

    /// Waits (polling) until `condition` holds, up to `seconds`.
    func waitUntil(seconds: Double, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1_000))
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CommandFailure("timed out after \(Int(seconds)) s waiting for \(what)")
    }
}

/// Someone in the story: a name, an account, and a signed-in API client.
struct DemoActor: Sendable {
    let name: String
    let account: AccountID
    let client: DeviceClient
    /// Present for self-custody actors (devices, storage operators), who sign for themselves.
    let key: AccountKey?

    var token: String { client.currentToken ?? "" }
}
