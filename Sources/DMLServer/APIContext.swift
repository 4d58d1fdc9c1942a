import DMLCore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The per-request context: Hummingbird's core, plus who is calling (set by `Authenticator`).
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The signed-in user, if the request carried a valid access token.
    var user: SignedIn?
    /// The peer's IP address (rate limits key anonymous clients by it).
    let remoteAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Bodies larger than this are refused with 413 before they are read whole; uploads of
    /// artifacts stream instead and have their own limit.
    public var maxUploadSize: Int { APIContext.jsonBodyBytesMax }
    static let jsonBodyBytesMax = 256 * 1_024

    /// The signed-in user or a 401.
    func requireUser() throws(APIError) -> SignedIn {
        guard let user else { throw .unauthorized("sign in first: send 'Authorization: Bearer <access token>'") }
        return user
    }
}

/// Who is calling, from a verified access token.
struct SignedIn: Sendable {
    let userID: String
    let account: AccountID
}

/// Reads `Authorization: Bearer …`; a present but bad token is a 401, never silently anonymous.
struct Authenticator: RouterMiddleware {
    let tokens: WebTokenSigner
    let now: @Sendable () -> UInt64

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer ") else { throw APIError.unauthorized("the Authorization header must be 'Bearer <access token>'") }
            let token = String(header.dropFirst("Bearer ".count))
            guard let claims = tokens.verify(token, as: AccessClaims.self), claims.typ == "access" else {
                throw APIError.unauthorized("the access token is not valid; sign in again")
            }
            guard UInt64(claims.exp) * 1_000 > now() else { throw APIError(.unauthorized, "auth.token_expired", "the access token has expired; refresh it") }
            guard let account = try? AccountID(address: claims.acc) else { throw APIError.unauthorized("the access token names no account") }
            context.user = SignedIn(userID: claims.sub, account: account)
        }
        return try await next(request, context)
    }
}

/// Turns every error into the one JSON shape, and logs what is the server's fault.
struct ErrorShaper: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if let response = Self.known(error, request: request, context: context) { return response }
            logger.error("unexpected error on \(request.method) \(request.uri.path): \(error)")
            return APIError.render(status: .internalServerError,
                                   ErrorBody(code: "server.error", message: "the server failed; this is a bug, and it is logged", details: [:]))
        }
    }

    /// The reply for an error the API knows how to explain; `nil` for anything else (a bug).
    static func known(_ error: any Error, request: Request, context: APIContext) -> Response? {
        switch error {
        case let error as APIError:
            return APIError.render(status: error.status, ErrorBody(code: error.code, message: error.message, details: error.details))
        case let error as HTTPError:
            let code = switch error.status {
            case .notFound: "request.not_found"
            case .methodNotAllowed: "request.method_not_allowed"
            case .contentTooLarge: "request.too_large"
            case .unauthorized: "auth.unauthorized"
            default: "request.invalid"
            }
            let message = error.body ?? (error.status == .notFound ? "no such route: \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
            return APIError.render(status: error.status, ErrorBody(code: code, message: message, details: [:]))
        case let error as HTTPResponseError:
            return try? error.response(from: request, context: context)
        default:
            return nil
        }
    }
}

extension Request {
    /// The JSON body decoded as `T`; 413 past `bytesMax`, 400 with the path of the bad field.
    func json<T: Decodable>(_ type: T.Type, context: APIContext, bytesMax: Int = APIContext.jsonBodyBytesMax) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: bytesMax)
        } catch {
            throw APIError(.contentTooLarge, "request.too_large", "the body is larger than \(bytesMax) bytes")
        }
        // PostgreSQL cannot store NUL in text, and no field needs one: refuse it by name.
        if Self.containsEscapedNUL(buffer.readableBytesView) {
            throw APIError.badRequest("request.nul_character", "the body contains a NUL character (\\u0000)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as Swift.DecodingError {
            throw APIError.badRequest("request.bad_json", Self.explain(error), field: Self.path(error))
        }
    }

    /// Whether JSON text holds `\u0000` (any hex case); a raw NUL is not valid JSON anyway.
    static func containsEscapedNUL(_ bytes: some Collection<UInt8>) -> Bool {
        let text = Array(bytes)
        guard text.count >= 6 else { return false }
        for index in 0...(text.count - 6) where text[index] == UInt8(ascii: "\\") && text[index + 1] == UInt8(ascii: "u")
            && text[index + 2] == UInt8(ascii: "0") && text[index + 3] == UInt8(ascii: "0") && text[index + 4] == UInt8(ascii: "0")
            && text[index + 5] == UInt8(ascii: "0") {
            // An even run of backslashes before it means the backslash is itself escaped.
            var backslashes = 0
            var cursor = index
            while cursor > 0 && text[cursor - 1] == UInt8(ascii: "\\") { backslashes += 1; cursor -= 1 }
            if backslashes.isMultiple(of: 2) { return true }
        }
        return false
    }

    static func path(_ error: Swift.DecodingError) -> String? {
        let path: [any CodingKey] = switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): context.codingPath
        case .keyNotFound(let key, let context): context.codingPath + [key]
        @unknown default: []
        }
        let text = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return text.isEmpty ? nil : text
    }

    static func explain(_ error: Swift.DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "'\(key.stringValue)' is required"
        case .typeMismatch(let type, let context): "\(path(error) ?? "the body") must be \(type): \(context.debugDescription)"
        case .valueNotFound(let type, _): "\(path(error) ?? "the body") must be a \(type), not null"
        case .dataCorrupted(let context): "the body is not valid JSON here: \(context.debugDescription)"
        @unknown default: "the body is not the expected JSON"
        }
    }

    /// An integer query parameter within `range`, or `fallback` when absent.
    func query(_ name: String, _ fallback: Int, in range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let text = uri.queryParameters[Substring(name)] else { return fallback }
        guard let value = Int(String(text)), range.contains(value) else {
            throw .badRequest("request.bad_query", "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)", field: name)
        }
        return value
    }
}

/// A JSON reply with a status.
func reply(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: try encoded(value)))
}

/// The JSON every reply uses: keys sorted, slashes plain.
func encoded(_ value: some Encodable) throws -> ByteBuffer {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return ByteBuffer(bytes: try encoder.encode(value))
}
