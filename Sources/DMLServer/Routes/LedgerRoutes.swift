import DMLCore
import DMLLedger
import Foundation
import Hummingbird
import NIOCore
import SQLKit

/// `/v1/ledger`: accounts, signed transactions, blocks, events (and a live stream of them), and
/// transfers made for custodial users.
struct LedgerRoutes: Sendable {
    let server: APIServer

    func register(on router: Router<APIContext>) {
        let group = router.group("/v1/ledger")
        group.get("/accounts/:address") { _, context in
            let account = try UserRoutes.account(try context.parameters.require("address"), field: "address")
            let (balance, nonce) = await server.ledger.reading { (Balances.balance(of: account, in: $0), System.nextNonce(of: account, in: $0)) }
            return try reply(AccountView(address: account.address, free: String(balance.free.baseUnits),
                                         held: String(balance.held.baseUnits), nextNonce: nonce))
        }
        group.post("/transactions") { request, context in
            let body = try await request.json(SubmitBody.self, context: context)
            guard let bytes = Hex.decode(body.transaction) else {
                throw APIError.badRequest("request.bad_hex", "transaction must be the canonical bytes in hex", field: "transaction")
            }
            let transaction: SignedTransaction
            do { transaction = try SignedTransaction(canonicalBytes: bytes) } catch {
                throw APIError.badRequest("tx.malformed", "the bytes are not a canonical signed transaction: \(error)", field: "transaction")
            }
            return try reply(TransactionReceipt(try await server.gateway.submit(transaction)), status: .created)
        }
        group.get("/transactions/:hash") { _, context in
            let hash = try context.parameters.require("hash").lowercased()
            guard let row = try await server.database.sql.raw("""
                SELECT hash, height, position, signer, module, name FROM api_transactions WHERE hash = \(bind: hash)
                """).first() else { throw APIError.notFound("transaction \(hash)") }
            return try reply(TransactionView(
                hash: try row.decode(column: "hash", as: String.self), height: try row.decode(column: "height", as: Int64.self),
                index: try row.decode(column: "position", as: Int.self), signer: try row.decode(column: "signer", as: String.self),
                module: try row.decode(column: "module", as: String.self), call: try row.decode(column: "name", as: String.self)))
        }
        group.get("/blocks/:height") { _, context in
            let text = try context.parameters.require("height")
            guard let height = UInt64(text), height <= UInt64(Int64.max) else {
                throw APIError.badRequest("request.bad_path", "height must be a whole number up to \(Int64.max)", field: "height")
            }
            guard let block = try await server.log.block(at: height) else { throw APIError.notFound("block \(height)") }
            return try reply(BlockView(block))
        }
        group.get("/events") { request, context in
            let after = try request.query("after", 0, in: 0...Int.max)
            let limit = try request.query("limit", 100, in: 1...1_000)
            return try reply(try await events(afterHeight: Int64(after), limit: limit))
        }
        group.get("/events/stream") { request, context in
            let after = try request.query("after", 0, in: 0...Int.max)
            let seconds = try request.query("seconds", Int(Self.streamSeconds), in: 1...Int(Self.streamSeconds))
            return stream(afterHeight: Int64(after), seconds: UInt64(seconds))
        }
        group.post("/transfers") { request, context in
            let body = try await request.json(TransferBody.self, context: context)
            let to = try UserRoutes.account(body.to, field: "to")
            let amount = try Amounts.parse(body.amount, field: "amount")
            let key = try await server.custodialKey(try context.requireUser())
            return try reply(TransactionReceipt(try await server.gateway.submit(BalancesCall.transfer(to: to, amount: amount).call, as: key)),
                             status: .created)
        }
    }

    /// Events after position `position` of block `height` (by default, after the whole block).
    func events(afterHeight height: Int64, position: Int = .max, limit: Int) async throws -> [EventRow] {
        try await server.database.sql.raw("""
            SELECT height, position, tx, module, name, text FROM api_events
            WHERE height > \(bind: height) OR (height = \(bind: height) AND position > \(bind: position))
            ORDER BY height, position LIMIT \(bind: limit)
            """).all().map(EventRow.init)
    }

    /// Server-sent events: every indexed event after block `afterHeight`, then new ones as blocks
    /// are indexed. Each message's `id` is its block height; a stream ends after `seconds` (at most a minute, so a
    /// shutdown never waits long for it), once what was indexed when it opened has been sent, and a client
    /// reconnects with `?after=<last id>`.
    func stream(afterHeight: Int64, seconds: UInt64) -> Response {
        let indexer = server.indexer
        let server = self.server
        let body = ResponseBody { writer in
            var sent = (height: afterHeight, position: Int.max)
            let deadline = DispatchTime.now().uptimeNanoseconds + seconds * 1_000_000_000
            // The first height (the indexed head when the stream opened) is always replayed, even
            // if reaching it took past the deadline: a stream never ends without what was indexed.
            var replayed = false
            for await height in await indexer.heights() {
                if server.isDraining || (replayed && DispatchTime.now().uptimeNanoseconds > deadline) { break }
                replayed = true
                guard Int64(height) > sent.height || sent.position != Int.max else { continue }
                while true {
                    let rows = try await events(afterHeight: sent.height, position: sent.position, limit: 500)
                    for row in rows {
                        let data = try JSONEncoder().encode(row)
                        try await writer.write(ByteBuffer(string: "id: \(row.height)\nevent: \(row.name)\ndata: \(String(decoding: data, as: UTF8.self))\n\n"))
                    }
                    guard let last = rows.last else { break }
                    sent = (last.height, last.position)
                    if rows.count < 500 { break }
                }
                // Every event up to the indexed height is out: continue from the end of that block.
                sent = (max(sent.height, Int64(height)), Int.max)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    static let streamSeconds: UInt64 = 60
}

struct SubmitBody: Decodable { let transaction: String }
struct TransferBody: Decodable { let to: String; let amount: String }

struct AccountView: Codable, Sendable {
    let address: String
    /// Base units (10⁻⁹ DML) as decimal strings, so no client loses precision.
    let free: String
    let held: String
    let nextNonce: UInt64
}

struct TransactionView: Codable, Sendable {
    let hash: String
    let height: Int64
    let index: Int
    let signer: String
    let module: String
    let call: String
}

struct EventRow: Codable, Sendable {
    let height: Int64
    let position: Int
    let transaction: Int?
    let module: String
    let name: String
    let text: String

    init(_ row: any SQLRow) throws {
        height = try row.decode(column: "height", as: Int64.self)
        position = try row.decode(column: "position", as: Int.self)
        transaction = try row.decode(column: "tx", as: Int?.self)
        module = try row.decode(column: "module", as: String.self)
        name = try row.decode(column: "name", as: String.self)
        text = try row.decode(column: "text", as: String.self)
    }
}

struct BlockView: Codable, Sendable {
    struct Transaction: Codable, Sendable {
        let hash: String
        let signer: String
        let nonce: UInt64
        let module: String
        let call: String
    }

    let height: UInt64
    let hash: String
    let previousHash: String
    let timestampMilliseconds: UInt64
    let stateRoot: String
    let transactions: [Transaction]
    let events: [EventView]

    init(_ block: Block) {
        height = block.header.height
        hash = block.header.hash.hex
        previousHash = block.header.previousHash.hex
        timestampMilliseconds = block.header.timestampMilliseconds
        stateRoot = block.header.stateRoot.hex
        transactions = block.transactions.map {
            Transaction(hash: $0.hash.hex, signer: $0.payload.signer.address, nonce: $0.payload.nonce,
                        module: $0.payload.call.module.description, call: $0.payload.call.text)
        }
        events = block.events.map { EventView($0.event) }
    }
}

/// Amounts in JSON are decimal strings of base units (1 DML = 10⁹ base units).
enum Amounts {
    static func parse(_ text: String, field: String) throws(APIError) -> Amount {
        guard !text.isEmpty, text.count <= 20, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber), let value = UInt64(text) else {
            throw .invalid(field, "an amount is a whole number of base units (10⁻⁹ DML) as a string, e.g. \"1000000000\" for 1 DML")
        }
        return Amount(baseUnits: value)
    }
}
