import Hummingbird

/// Checks every request needs before any route reads it: no NUL characters in the path or
/// query (PostgreSQL cannot store them, and no field needs one), and a signed-in user for every
/// write except the few that are public. The gate refuses a write without a token with 401
/// before its body is read, so the answer to an anonymous write never depends on the body.
struct RequestGate: RouterMiddleware {
    /// Writes anyone may make: signing up and in, and submitting a transaction signed elsewhere.
    static let publicWrites: Set<String> = [
        "/v1/users", "/v1/users/confirm", "/v1/users/login", "/v1/users/refresh", "/v1/users/challenge",
        "/v1/users/key-login", "/v1/ledger/transactions",
    ]

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        let uri = request.uri.description
        if uri.contains("%00") || uri.contains("\0") {
            throw APIError.badRequest("request.nul_character", "the path or query contains a NUL character")
        }
        let path = Self.normalized(request.uri.path)
        let isRead = request.method == .get || request.method == .head
        if !isRead, path.hasPrefix("/v1/"), !Self.publicWrites.contains(path), context.user == nil {
            throw APIError.unauthorized("sign in first: send 'Authorization: Bearer <access token>'")
        }
        return try await next(request, context)
    }

    /// The path as the router matches it: repeated and trailing slashes collapsed.
    static func normalized(_ path: String) -> String {
        "/" + path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }
}
