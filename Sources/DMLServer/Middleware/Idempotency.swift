import DMLCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SQLKit

/// `Idempotency-Key` on POST: the first request with a key runs and its reply is kept for 24
/// hours; a retry with the same key and the same request gets that reply again (with
/// `Idempotent-Replayed: true`) and runs nothing, so a retried payment never pays twice.
///
/// - The key is scoped to the caller (user id, or `public` for anonymous requests), 1–200
///   printable ASCII characters.
/// - The same key with a different method, path or body is a 422: a key names one request.
/// - While the first request runs, a retry gets 409 `request.in_progress`.
/// - A reply of 5xx is not kept (the server failed; a retry may run again) — except
///   `ledger.queued`: that transaction may still land, so a retry gets the same answer (look it
///   up by hash) instead of signing a second one. Everything else is kept, refusals included:
///   the retry of a refused payment is refused the same way.
/// - If the process dies mid-request the key stays "in progress"; the ledger shows whether the
///   write happened (`GET /v1/ledger/transactions/{hash}` or the account's events), so the
///   client checks there and retries with a new key. Never replaying a write is the safe side.
///
/// Uploads (`…/artifacts`) are content-addressed, hence naturally idempotent, and are not kept;
/// nor are sign-up and sign-in replies, which move no money and carry tokens that are otherwise
/// only stored hashed.
struct IdempotencyMiddleware: RouterMiddleware {
    let database: APIDatabase
    let now: @Sendable () -> UInt64
    static let header = HTTPField.Name("Idempotency-Key")!
    static let replayedHeader = HTTPField.Name("Idempotent-Replayed")!
    static let keyCharactersMax = 200
    static let keptMilliseconds: UInt64 = 24 * 3_600_000

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        let path = RequestGate.normalized(request.uri.path)
        guard request.method == .post, let key = request.headers[Self.header], !path.hasSuffix("/artifacts"), !path.hasPrefix("/v1/users") else {
            return try await next(request, context)
        }
        guard (1...Self.keyCharactersMax).contains(key.count), key.unicodeScalars.allSatisfy({ (0x21...0x7e).contains($0.value) }) else {
            throw APIError.badRequest("request.bad_idempotency_key", "Idempotency-Key is 1–\(Self.keyCharactersMax) printable ASCII characters without spaces")
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: APIContext.jsonBodyBytesMax)
        } catch {
            throw APIError(.contentTooLarge, "request.too_large", "the body is larger than \(APIContext.jsonBodyBytesMax) bytes")
        }
        request.body = RequestBody(buffer: body)
        let scope = context.user?.userID ?? "public"
        let fingerprint = Hash256.of(Array("\(request.method) \(path)?\(request.uri.query ?? "")\n".utf8) + Array(body.readableBytesView)).hex
        let sql = database.sql
        let time = now()
        try await sql.raw("DELETE FROM api_idempotency WHERE created_ms < \(bind: Int64(clamping: time &- Self.keptMilliseconds))").run()
        let claimed = try await sql.raw("""
            INSERT INTO api_idempotency (scope, idempotency_key, request_hash, status, body, created_ms)
            VALUES (\(bind: scope), \(bind: key), \(bind: fingerprint), NULL, NULL, \(bind: Int64(clamping: time)))
            ON CONFLICT (scope, idempotency_key) DO NOTHING RETURNING scope
            """).first() != nil
        guard claimed else { return try await replay(scope: scope, key: key, fingerprint: fingerprint) }

        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            guard let shaped = ErrorShaper.known(error, request: request, context: context),
                  shaped.status.code < 500 || (error as? APIError)?.code == "ledger.queued" else {
                try? await forget(scope: scope, key: key)
                throw error
            }
            return try await keep(shaped, scope: scope, key: key)
        }
        guard response.status.code < 500 else {
            try? await forget(scope: scope, key: key)
            return response
        }
        return try await keep(response, scope: scope, key: key)
    }

    /// Stores the reply (small JSON here) and returns it with the same bytes.
    private func keep(_ response: Response, scope: String, key: String) async throws -> Response {
        let collector = BodyCollector()
        try await response.body.write(collector)
        try await database.sql.raw("""
            UPDATE api_idempotency SET status = \(bind: Int(response.status.code)), body = \(bind: Data(collector.buffer.readableBytesView))
            WHERE scope = \(bind: scope) AND idempotency_key = \(bind: key)
            """).run()
        var kept = response
        kept.body = ResponseBody(byteBuffer: collector.buffer)
        return kept
    }

    private func forget(scope: String, key: String) async throws {
        try await database.sql.raw("DELETE FROM api_idempotency WHERE scope = \(bind: scope) AND idempotency_key = \(bind: key)").run()
    }

    private func replay(scope: String, key: String, fingerprint: String) async throws -> Response {
        guard let row = try await database.sql.raw("""
            SELECT request_hash, status, body FROM api_idempotency WHERE scope = \(bind: scope) AND idempotency_key = \(bind: key)
            """).first() else {
            throw APIError.conflict("request.in_progress", "a request with this Idempotency-Key just finished failing; retry")
        }
        guard try row.decode(column: "request_hash", as: String.self) == fingerprint else {
            throw APIError(.unprocessableContent, "request.idempotency_key_reused",
                           "this Idempotency-Key was used for a different request; use a new key for a new request")
        }
        guard let status = try row.decode(column: "status", as: Int?.self), let body = try row.decode(column: "body", as: Data?.self) else {
            throw APIError.conflict("request.in_progress", "a request with this Idempotency-Key is still running; retry shortly")
        }
        return Response(status: .init(code: status), headers: [.contentType: "application/json", Self.replayedHeader: "true"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Gathers a response body's bytes (a class, because writing consumes the writer).
final class BodyCollector: ResponseBodyWriter {
    private(set) var buffer = ByteBuffer()
    func write(_ buffer: ByteBuffer) async throws {
        var copy = buffer
        self.buffer.writeBuffer(&copy)
    }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
