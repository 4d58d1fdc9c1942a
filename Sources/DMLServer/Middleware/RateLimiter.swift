import Foundation
import Hummingbird
import Synchronization

/// Token buckets per client: a signed-in user by their id, anyone else by their IP address.
/// Each request takes one token; a bucket refills at `perSecond` up to `burst`. A client past
/// its limit gets 429 with `Retry-After`, and nothing it asked for is done.
///
/// Sign-up and sign-in have a second, tighter bucket per IP address, so passwords cannot be
/// guessed at the general rate.
public final class RateLimiter: Sendable {
    public struct Policy: Sendable {
        public var perSecond: Double
        public var burst: Double

        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond
            self.burst = burst
        }

        /// Zero turns limiting off (benchmarks, trusted deployments behind their own limiter).
        var isOff: Bool { perSecond <= 0 }
    }

    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    let policy: Policy
    private let buckets = Mutex<[String: Bucket]>([:])
    private let now: @Sendable () -> Double
    /// Idle buckets are forgotten when there are more than this many.
    static let bucketsMax = 100_000

    init(_ policy: Policy, now: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.policy = policy
        self.now = now
    }

    /// Takes a token for `client`; `nil` when allowed, else the seconds until one is available.
    func take(_ client: String) -> Int? {
        if policy.isOff { return nil }
        let time = now()
        return buckets.withLock { buckets -> Int? in
            if buckets.count >= Self.bucketsMax { Self.forgetIdle(&buckets, at: time, policy: policy) }
            var bucket = buckets[client] ?? Bucket(tokens: policy.burst, updated: time)
            bucket.tokens = min(policy.burst, bucket.tokens + (time - bucket.updated) * policy.perSecond)
            bucket.updated = time
            defer { buckets[client] = bucket }
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / policy.perSecond).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }

    /// Drops buckets that have refilled completely: forgetting them changes nothing.
    private static func forgetIdle(_ buckets: inout [String: Bucket], at time: Double, policy: Policy) {
        buckets = buckets.filter { _, bucket in bucket.tokens + (time - bucket.updated) * policy.perSecond < policy.burst }
    }
}

/// Applies the general limit to every request and the sign-in limit to the routes that check
/// passwords or create accounts.
struct RateLimitMiddleware: RouterMiddleware {
    let general: RateLimiter
    let signIn: RateLimiter
    static let signInPaths: Set<String> = ["/v1/users", "/v1/users/login", "/v1/users/key-login", "/v1/users/refresh"]

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        if general.policy.isOff && signIn.policy.isOff { return try await next(request, context) }
        let client = context.user.map { "user:" + $0.userID } ?? "ip:" + context.remoteAddress
        if let wait = general.take(client) { throw Self.refusal(wait) }
        if request.method == .post, Self.signInPaths.contains(RequestGate.normalized(request.uri.path)), let wait = signIn.take("ip:" + context.remoteAddress) {
            throw Self.refusal(wait)
        }
        return try await next(request, context)
    }

    static func refusal(_ seconds: Int) -> APIError {
        APIError(.tooManyRequests, "request.rate_limited", "too many requests; retry in \(seconds) s", details: ["retryAfterSeconds": String(seconds)])
    }
}
