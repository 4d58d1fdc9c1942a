import Foundation
import Hummingbird
import NIOCore

/// Every refusal the API gives: one JSON shape, `{"code", "message", "details"}`, with an
/// honest status. Codes are `area.snake_case` and never renamed; the message says what was
/// wrong and, where it helps, what to do; `details` names the field or the ledger error.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let details: [String: String]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, details: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    static func badRequest(_ code: String, _ message: String, field: String? = nil) -> APIError {
        APIError(.badRequest, code, message, details: field.map { ["field": $0] } ?? [:])
    }

    static func invalid(_ field: String, _ message: String) -> APIError {
        APIError(.unprocessableContent, "request.invalid_field", "\(field): \(message)", details: ["field": field])
    }

    static func unauthorized(_ message: String) -> APIError { APIError(.unauthorized, "auth.unauthorized", message) }
    static func notFound(_ what: String) -> APIError { APIError(.notFound, "request.not_found", "\(what) does not exist") }
    static func conflict(_ code: String, _ message: String) -> APIError { APIError(.conflict, code, message) }
}

/// The body every error is rendered as.
struct ErrorBody: Codable, Sendable {
    let code: String
    let message: String
    let details: [String: String]
}

extension APIError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Self.render(status: status, ErrorBody(code: code, message: message, details: details))
    }

    static func render(status: HTTPResponse.Status, _ body: ErrorBody) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data(#"{"code":"server.error","message":"","details":{}}"#.utf8)
        var headers: HTTPFields = [.contentType: "application/json"]
        if let seconds = body.details["retryAfterSeconds"] { headers[.retryAfter] = seconds }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
