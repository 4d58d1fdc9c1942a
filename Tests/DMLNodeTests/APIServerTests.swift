import DMLCore
import DMLLedger
import DMLNode
@testable import DMLServer
import DMLStore
import Foundation
import Logging
import Hummingbird
import HummingbirdTesting
import Testing

/// A server on a fresh chain (SQLite or PostgreSQL), driven through its router in-process.
struct APIWorld {
    static let admin = AccountKey.insecureDerived(from: "api-admin")
    let chain: LocalChain
    let database: APIDatabase
    let server: APIServer

    static func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "dml-api-artifacts-" + UUID().uuidString
    }

    /// A world on `backend`, or nil when that backend is not available here. `now` is the
    /// server's clock (leases, federated phases, tokens) and `chainClock` the sequencer's (block
    /// times, so every ledger deadline); both default to the wall clock.
    static func make(_ backend: Backend, configure: (inout APIServer.Configuration) -> Void = { _ in },
                     now: (@Sendable () -> UInt64)? = nil, chainClock: (@Sendable () -> UInt64)? = nil) async throws -> APIWorld? {
        guard let location = backend.freshLocation() else { return nil }
        let genesis = (chainClock ?? LedgerService.wallClockMilliseconds)()
        let spec = ChainSpec(name: "dml-api-test", isDevelopment: true, genesisTimestampMilliseconds: genesis,
                             allocations: [.init(admin.account, .tokens(1_000_000)!)], superAdmins: [admin.account])
        let chain = try await LocalChain.open(location, spec: spec, clock: chainClock ?? LedgerService.wallClockMilliseconds)
        let apiLocation: DatabaseLocation = switch location {
        case .sqlite(let path): .sqlite(path: (path as NSString).deletingLastPathComponent + "/api.sqlite")
        case .postgres: location
        }
        let database: APIDatabase
        do { database = try await APIDatabase.open(apiLocation, logger: .init(label: "test")) } catch {
            await chain.close()
            throw error
        }
        var configuration = APIServer.Configuration(secret: Array(repeating: 7, count: 32), artifactsDirectory: APIWorld.temporaryDirectory())
        configuration.bcryptCost = 4
        // Live servers listen on a free port: every suite runs in one process at once.
        configuration.port = 0
        // Tests sign many users up from one address; the live test turns limits back on.
        configuration.rateLimit.perSecond = 0
        configuration.signInRateLimit.perSecond = 0
        configure(&configuration)
        // Request lines are `info`; tests keep warnings and errors only.
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        do {
            let server = try await APIServer(chain: chain, database: database, configuration: configuration, logger: logger,
                                             now: now ?? LedgerService.wallClockMilliseconds)
            return APIWorld(chain: chain, database: database, server: server)
        } catch {
            await database.close()
            await chain.close()
            throw error
        }
    }

    /// Makes a world, runs `body` with it and closes it however `body` ends (Swift has no async
    /// `defer`): a test that fails part-way leaves no open connection behind to trip SQLiteNIO's
    /// and PostgresNIO's deinit assertions, which would end every other test with it.
    static func with(_ backend: Backend, configure: (inout APIServer.Configuration) -> Void = { _ in },
                     now: (@Sendable () -> UInt64)? = nil, chainClock: (@Sendable () -> UInt64)? = nil,
                     _ body: (APIWorld) async throws -> Void) async throws {
        guard let world = try await make(backend, configure: configure, now: now, chainClock: chainClock) else { return }
        do { try await body(world) } catch {
            await world.close(checking: false)
            throw error
        }
        await world.close()
    }

    /// Closes the databases; on the normal path first checks conservation and the invariants.
    func close(checking: Bool = true) async {
        if checking {
            let violations = await chain.service.ledger.invariantViolations()
            #expect(violations == [], "conservation and module invariants")
        }
        await database.close()
        await chain.close()
    }

    /// Runs the server on a loopback port (as `dml serve` does) while `body` talks to it; the
    /// server has stopped when this returns, whichever way.
    func live(_ body: @Sendable (Int) async throws -> Void) async throws {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = self.server
        let running = Task {
            // A server that cannot start ends the stream, so the wait for its port ends too.
            defer { continuation.finish() }
            try await server.run { continuation.yield($0) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await running.value
            throw CommandLineFailure("the server stopped before it listened")
        }
        do { try await body(port) } catch {
            await server.shutdown()
            _ = try? await running.value
            throw error
        }
        await server.shutdown()
        try await running.value
    }

    /// Drives the router in-process, with the indexer following the log beside it (as
    /// `APIServer.run` does); the indexer has stopped when this returns.
    func test(_ body: @Sendable (Caller) async throws -> Void) async throws {
        let app = Application(router: server.makeRouter())
        let indexing = Task { await server.indexer.follow(intervalMilliseconds: 20) }
        do { try await app.test(.router) { client in try await body(Caller(client: client)) } } catch {
            indexing.cancel()
            await indexing.value
            throw error
        }
        indexing.cancel()
        await indexing.value
    }
}

/// Runs `body` on `resource` and closes it however `body` ends.
func withClosing<Resource, T>(_ resource: Resource, close: (Resource) async -> Void,
                              _ body: (Resource) async throws -> T) async throws -> T {
    let result: T
    do { result = try await body(resource) } catch {
        await close(resource)
        throw error
    }
    await close(resource)
    return result
}

/// Sends JSON and reads JSON back.
struct Caller: Sendable {
    let client: any TestClientProtocol & Sendable

    struct Reply {
        let status: HTTPResponse.Status
        let json: [String: Any]
        let array: [Any]
        var code: String? { json["code"] as? String }
        func string(_ key: String) -> String? { json[key] as? String }
        func object(_ key: String) -> [String: Any] { json[key] as? [String: Any] ?? [:] }
    }

    func callAny(_ method: HTTPRequest.Method, _ uri: String, _ body: Any? = nil, raw: String? = nil, token: String? = nil) async throws -> Reply {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        let bytes: ByteBuffer? = if let raw { ByteBuffer(string: raw) } else if let body {
            ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
        } else { nil }
        let response = try await execute(client, uri, method, headers, bytes)
        let parsed = response.body.readableBytes == 0 ? nil : try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
        return Reply(status: response.status, json: parsed as? [String: Any] ?? [:], array: parsed as? [Any] ?? [])
    }

    private func execute(_ client: some TestClientProtocol, _ uri: String, _ method: HTTPRequest.Method, _ headers: HTTPFields,
                         _ body: ByteBuffer?) async throws -> TestResponse {
        try await client.execute(uri: uri, method: method, headers: headers, body: body)
    }

    /// The body as text, for non-JSON replies (server-sent events).
    func raw(_ method: HTTPRequest.Method, _ uri: String) async throws -> String {
        let response = try await execute(client, uri, method, [:], nil)
        return String(buffer: response.body)
    }

    func post(_ uri: String, _ body: Any = [String: Any](), token: String? = nil) async throws -> Reply { try await callAny(.post, uri, body, token: token) }
    func get(_ uri: String, token: String? = nil) async throws -> Reply { try await callAny(.get, uri, token: token) }

    /// Signs up, confirms and signs in; returns the access token and the account address.
    func user(_ email: String, password: String = "correct horse battery") async throws -> (token: String, account: String) {
        let signUp = try await post("/v1/users", ["email": email, "password": password])
        #expect(signUp.status == .created, "sign-up of \(email): \(signUp.status) \(signUp.json)")
        let token = try #require(signUp.string("confirmationToken"), "sign-up of \(email) returned no confirmation token: \(signUp.json)")
        #expect(try await post("/v1/users/confirm", ["token": token]).status == .ok)
        let session = try await post("/v1/users/login", ["email": email, "password": password])
        #expect(session.status == .ok, "sign-in of \(email): \(session.status) \(session.json)")
        return (try #require(session.string("accessToken")), try #require(session.object("user")["account"] as? String))
    }
}

@Suite("API server: users, sign-in, errors, ledger and bounties through HTTP", .serialized)
struct APIServerTests {
    @Test("sign-up, confirmation, login, refresh once, profile with validation; every refusal in one JSON shape")
    func users() async throws {
        try await APIWorld.with(.sqlite) { world in
            try await world.test { api in
                let signUp = try await api.post("/v1/users", ["email": " Ann@Example.org ", "password": "correct horse",
                                                              "profile": ["displayName": "Ann", "country": "ke"]])
                #expect(signUp.status == .created)
                let user = signUp.object("user")
                #expect(user["email"] as? String == "ann@example.org" && user["custodial"] as? Bool == true)
                #expect((user["profile"] as? [String: Any])?["country"] as? String == "KE")
                // Refusals: taken email, weak password, bad email, bad JSON, wrong type, oversize body, unknown route.
                #expect(try await api.post("/v1/users", ["email": "ann@example.org", "password": "another one"]).code == "users.email_taken")
                let weak = try await api.post("/v1/users", ["email": "b@example.org", "password": "short"])
                #expect(weak.status == .unprocessableContent && weak.object("details")["field"] as? String == "password")
                #expect(try await api.post("/v1/users", ["email": "no-at-sign", "password": "long enough"]).status == .unprocessableContent)
                let badJSON = try await api.callAny(.post, "/v1/users", raw: "{\"email\": ")
                #expect(badJSON.status == .badRequest && badJSON.code == "request.bad_json")
                let wrongType = try await api.post("/v1/users", ["email": 5, "password": "long enough"])
                #expect(wrongType.status == .badRequest && wrongType.object("details")["field"] as? String == "email")
                let huge = try await api.post("/v1/users", ["email": "c@example.org", "password": String(repeating: "x", count: 300_000)])
                #expect(huge.status == .contentTooLarge && huge.code == "request.too_large")
                let missing = try await api.get("/v1/nothing-here")
                #expect(missing.status == .notFound && missing.code == "request.not_found" && missing.string("message") != nil)

                // Unconfirmed email cannot sign in; wrong password is a 401 that does not say which part was wrong.
                #expect(try await api.post("/v1/users/login", ["email": "ann@example.org", "password": "correct horse"]).code == "users.email_unconfirmed")
                #expect(try await api.post("/v1/users/confirm", ["token": try #require(signUp.string("confirmationToken"))]).status == .ok)
                #expect(try await api.post("/v1/users/confirm", ["token": "nope"]).status == .notFound)
                #expect(try await api.post("/v1/users/login", ["email": "ann@example.org", "password": "wrong horse"]).status == .unauthorized)
                #expect(try await api.post("/v1/users/login", ["email": "who@example.org", "password": "wrong horse"]).status == .unauthorized)
                let session = try await api.post("/v1/users/login", ["email": "ann@example.org", "password": "correct horse"])
                let access = try #require(session.string("accessToken")), refresh = try #require(session.string("refreshToken"))

                // Me and profile: only with a valid token; only valid fields.
                #expect(try await api.get("/v1/users/me").status == .unauthorized)
                #expect(try await api.get("/v1/users/me", token: access + "x").status == .unauthorized)
                #expect(try await api.get("/v1/users/me", token: access).string("email") == "ann@example.org")
                let bad = try await api.callAny(.patch, "/v1/users/me", ["country": "XX"], token: access)
                #expect(bad.status == .unprocessableContent && bad.object("details")["field"] as? String == "country")
                #expect(try await api.callAny(.patch, "/v1/users/me", ["website": "javascript:alert(1)"], token: access).status == .unprocessableContent)
                let patched = try await api.callAny(.patch, "/v1/users/me", ["bio": "I post bounties", "website": "https://ann.example.org"], token: access)
                #expect(patched.status == .ok && (patched.object("profile")["bio"] as? String) == "I post bounties")
                let id = try #require(patched.string("id"))
                let publicView = try await api.get("/v1/users/\(id)")
                #expect(publicView.status == .ok && publicView.json["email"] == nil)

                // A refresh token works once.
                let renewed = try await api.post("/v1/users/refresh", ["refreshToken": refresh])
                #expect(renewed.status == .ok && renewed.string("accessToken") != nil)
                #expect(try await api.post("/v1/users/refresh", ["refreshToken": refresh]).status == .unauthorized)
            }
        }
    }

    @Test("an index built for another chain is emptied and rebuilt from this chain's log")
    func indexBelongsToItsChain() async throws {
        let directory = Fixtures.temporaryDirectory()
        let database = try await APIDatabase.open(.sqlite(path: directory + "/api.sqlite"), logger: .init(label: "test"))
        try await withClosing(database, close: { await $0.close() }) { database in
            for name in ["first", "second"] {
                let spec = ChainSpec(name: "dml-index-\(name)", isDevelopment: true, genesisTimestampMilliseconds: 1_700_000_000_000,
                                     allocations: [.init(APIWorld.admin.account, .tokens(10)!)], superAdmins: [APIWorld.admin.account])
                let chain = try await LocalChain.open(.sqlite(path: "\(directory)/\(name)/ledger.sqlite"), spec: spec)
                try await withClosing(chain, close: { await $0.close() }) { chain in
                    if name == "first" {
                        _ = await chain.submit(BalancesCall.transfer(to: Fixtures.keys[1].account, amount: .tokens(1)!).call, as: APIWorld.admin)
                    }
                    let server = try await APIServer(chain: chain, database: database, configuration: {
                        var configuration = APIServer.Configuration(secret: Array(repeating: 7, count: 32), artifactsDirectory: APIWorld.temporaryDirectory())
                        configuration.bcryptCost = 4
                        return configuration
                    }(), logger: .init(label: "test"))
                    let transactions = try await database.sql.raw("SELECT COUNT(*) AS n FROM api_transactions").first()?.decode(column: "n", as: Int.self)
                    #expect(transactions == (name == "first" ? 1 : 0), "\(name) chain")
                    #expect(await server.indexer.height == (name == "first" ? 1 : 0))
                }
            }
        }
    }

    @Test("sign-in with a key: challenge signed by Ed25519; a used, wrong or foreign challenge is refused")
    func keyLogin() async throws {
        try await APIWorld.with(.sqlite) { world in
            let key = AccountKey.insecureDerived(from: "api-key-user")
            try await world.test { api in
                let challenge = try await api.post("/v1/users/challenge", ["account": key.account.address])
                #expect(challenge.status == .created)
                let nonce = try #require(challenge.string("nonce")), message = try #require(challenge.string("message"))
                #expect(message.hasPrefix("DML-LOGIN\n\(world.chain.service.chainID.hex)\n"))
                let wrong = AccountKey.insecureDerived(from: "someone else").sign(Array(message.utf8))
                #expect(try await api.post("/v1/users/key-login", ["account": key.account.address, "nonce": nonce,
                                                                   "signature": Hex.encode(wrong)]).status == .unauthorized)
                // The failed attempt used the challenge up: ask again, sign right.
                let second = try await api.post("/v1/users/challenge", ["account": key.account.address])
                let signature = Hex.encode(key.sign(Array(try #require(second.string("message")).utf8)))
                let body = ["account": key.account.address, "nonce": try #require(second.string("nonce")), "signature": signature]
                let session = try await api.post("/v1/users/key-login", body)
                #expect(session.status == .ok && session.object("user")["custodial"] as? Bool == false)
                #expect(try await api.post("/v1/users/key-login", body).status == .unauthorized, "a challenge is answered once")
                // Signing up with someone's public key needs their signature on a challenge.
                let other = AccountKey.insecureDerived(from: "api-key-signup")
                let claim = try await api.post("/v1/users", ["email": "squat@example.org", "password": "long enough", "publicKey": other.account.address])
                #expect(claim.status == .unprocessableContent && claim.object("details")["field"] as? String == "challenge")
                let third = try await api.post("/v1/users/challenge", ["account": other.account.address])
                let proof = ["nonce": try #require(third.string("nonce")),
                             "signature": Hex.encode(other.sign(Array(try #require(third.string("message")).utf8)))]
                let owned = try await api.post("/v1/users", ["email": "own@example.org", "password": "long enough",
                                                            "publicKey": other.account.address, "challenge": proof])
                #expect(owned.status == .created && owned.object("user")["custodial"] as? Bool == false)
                // A self-custody user is told to sign their own transactions.
                let token = try #require(session.string("accessToken"))
                let transfer = try await api.post("/v1/ledger/transfers", ["to": APIWorld.admin.account.address, "amount": "1"], token: token)
                #expect(transfer.status == .conflict && transfer.code == "users.self_custody")
            }
        }
    }

    @Test("a bounty from creation to enrollment over HTTP; signed transactions, replay refused; index, blocks and events",
          arguments: Backend.allCases)
    func bounties(backend: Backend) async throws {
        try await APIWorld.with(backend) { world in
            try await world.test { api in
                let ann = try await api.user("ann@example.org"), bob = try await api.user("bob@example.org")
                // The admin signs a transfer to Ann locally and submits the bytes: the self-custody path.
                let annAccount = try AccountID(address: ann.account)
                let nonce = await world.chain.service.reading { System.nextNonce(of: APIWorld.admin.account, in: $0) }
                let transfer = SignedTransaction(chain: world.chain.service.chainID, key: APIWorld.admin, nonce: nonce,
                                                 call: BalancesCall.transfer(to: annAccount, amount: .tokens(500)!).call)
                let submitted = try await api.post("/v1/ledger/transactions", ["transaction": Hex.encode(transfer.canonicalBytes)])
                #expect(submitted.status == .created && submitted.string("hash") == transfer.hash.hex)
                let replay = try await api.post("/v1/ledger/transactions", ["transaction": Hex.encode(transfer.canonicalBytes)])
                #expect(replay.status == .conflict && replay.code == "tx.nonce_already_used")
                #expect(try await api.post("/v1/ledger/transactions", ["transaction": "zz"]).code == "request.bad_hex")
                #expect(try await api.post("/v1/ledger/transactions", ["transaction": "00ff"]).code == "tx.malformed")
                let account = try await api.get("/v1/ledger/accounts/\(ann.account)")
                #expect(account.string("free") == "500000000000")

                // Ann posts a bounty with 100 + 50 DML of prizes, escrowed at once.
                let now = LedgerService.wallClockMilliseconds()
                let draft: [String: Any] = ["title": "Label 1 000 bird photos", "description": "species labels", "prizes": ["100000000000", "50000000000"],
                                            "enrollmentEnd": now + 3_600_000, "submissionEnd": now + 7_200_000, "evaluationDeadline": now + 10_800_000]
                #expect(try await api.post("/v1/bounties", draft).status == .unauthorized)
                var broke = draft
                broke["prizes"] = ["-5"]
                #expect(try await api.post("/v1/bounties", broke, token: ann.token).status == .unprocessableContent)
                let created = try await api.post("/v1/bounties", draft, token: ann.token)
                #expect(created.status == .created)
                let id = try #require(created.json["id"] as? Int)
                let hash = try #require(created.object("transaction")["hash"] as? String)
                #expect(try await api.get("/v1/ledger/accounts/\(ann.account)").string("free") == "350000000000")

                // Bob may not open Ann's bounty; Ann may; Bob enrolls, once.
                let refused = try await api.post("/v1/bounties/\(id)/open-enrollment", token: bob.token)
                #expect(refused.status == .forbidden && refused.code == "bounties.not_owner_or_moderator")
                #expect(try await api.post("/v1/bounties/\(id)/open-enrollment", token: ann.token).status == .ok)
                #expect(try await api.post("/v1/bounties/\(id)/enrollments", token: bob.token).status == .ok)
                #expect(try await api.post("/v1/bounties/\(id)/enrollments", token: bob.token).code == "bounties.already_enrolled")
                #expect(try await api.post("/v1/bounties/999/enrollments", token: bob.token).status == .notFound)
                #expect(try await api.post("/v1/bounties/abc/enrollments", token: bob.token).status == .badRequest)

                let shown = try await api.get("/v1/bounties/\(id)")
                #expect(shown.string("status") == "enrollment_open" && shown.json["participants"] as? Int == 1)
                #expect(shown.string("prizePool") == "150000000000")
                let listed = try await api.get("/v1/bounties?status=enrollment_open&sort=prize&q=BIRD")
                #expect(listed.json["total"] as? Int == 1)
                #expect(((listed.json["items"] as? [[String: Any]])?.first?["participants"] as? Int) == 1)
                #expect(try await api.get("/v1/bounties?status=paid").json["total"] as? Int == 0)
                #expect(try await api.get("/v1/bounties?status=bogus").status == .badRequest)
                #expect(try await api.get("/v1/bounties?limit=0").status == .badRequest)

                // The ledger's view of it: the transaction by hash, its block, the events.
                let transaction = try await api.get("/v1/ledger/transactions/\(hash)")
                #expect(transaction.status == .ok && transaction.string("signer") == ann.account && transaction.string("call") == "create")
                let height = try #require(transaction.json["height"] as? Int)
                let block = try await api.get("/v1/ledger/blocks/\(height)")
                #expect((block.json["transactions"] as? [[String: Any]])?.contains { $0["hash"] as? String == hash } == true)
                #expect(try await api.get("/v1/ledger/blocks/999999").status == .notFound)
                let events = try await api.get("/v1/ledger/events?after=0&limit=1000")
                let names = events.array.compactMap { ($0 as? [String: Any])?["name"] as? String }
                #expect(names.contains("posted") && names.contains("enrolled") && names.contains("transferred"))
                let later = try await api.get("/v1/ledger/events?after=\(height)")
                #expect(later.array.allSatisfy { (($0 as? [String: Any])?["height"] as? Int ?? 0) > height }, "after=H means after block H")
                // The stream replays what is indexed (one message per event), then ends at its deadline.
                let streamed = try await api.raw(.get, "/v1/ledger/events/stream?after=0&seconds=1")
                #expect(streamed.components(separatedBy: "\nevent: ").count - 1 == names.count)
                #expect(streamed.contains("event: posted\ndata: {"))
            }
        }
    }
}
