import DMLCore
import DMLLedger
import DMLNode
@testable import DMLServer
import Foundation
import Testing

/// The server on a real loopback socket: what only a real HTTP connection shows.
@Suite("API server live on loopback: uploads, idempotency, rate limits, metrics, graceful shutdown", .serialized)
struct APILiveTests {
    @Test("a missing, huge or false Content-Length stores nothing; Idempotency-Key pays once; 429 past the limit; /metrics; shutdown ends streams")
    func live() async throws {
        try await APIWorld.with(.sqlite, configure: { configuration in
            configuration.port = 0
            // A slow refill, so that even a heavily loaded machine empties the bucket below.
            configuration.rateLimit = .init(perSecond: 0.2, burst: 60)
        }) { world in try await world.live { port in
            let health = try await RawHTTP.request(port: port, "GET", "/health")
            #expect(health.status == 200 && health.head.lowercased().contains("x-request-id: "))

            // A user with 10 DML, over the wire.
            let signUp = try await RawHTTP.request(port: port, "POST", "/v1/users", json: ["email": "live@example.org", "password": "correct horse"])
            let confirmation = try #require(signUp.json["confirmationToken"] as? String)
            #expect(try await RawHTTP.request(port: port, "POST", "/v1/users/confirm", json: ["token": confirmation]).status == 200)
            let session = try await RawHTTP.request(port: port, "POST", "/v1/users/login", json: ["email": "live@example.org", "password": "correct horse"])
            let token = try #require(session.json["accessToken"] as? String)
            let account = try #require((session.json["user"] as? [String: Any])?["account"] as? String)
            try await world.give(10, to: account)

            // Uploads: chunked without a length → 411; a huge length → 413; a body cut short → nothing stored.
            let head = "POST /v1/algorithms/artifacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n"
            let chunked = try await RawHTTP.exchange(port: port, Array((head + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").utf8))
            #expect(chunked.status == 411 && chunked.json["code"] as? String == "request.length_required")
            let huge = try await RawHTTP.exchange(port: port, Array((head + "Content-Length: \(1 << 40)\r\n\r\n").utf8))
            #expect(huge.status == 413)
            let short = try await RawHTTP.exchange(port: port, Array((head + "Content-Length: 100000\r\n\r\n").utf8) + [UInt8](repeating: 7, count: 5_000))
            #expect(short.status == 400 || short.status == 0, "refused, or the connection closed with nothing stored")
            #expect(try world.server.artifacts.list().isEmpty)

            // Idempotency-Key: the retry replays the first reply and pays nothing more.
            let transfer: [String: Any] = ["to": APIWorld.admin.account.address, "amount": "1000000000"]
            let first = try await RawHTTP.request(port: port, "POST", "/v1/ledger/transfers", json: transfer, token: token, headers: ["Idempotency-Key: pay-1"])
            let retry = try await RawHTTP.request(port: port, "POST", "/v1/ledger/transfers", json: transfer, token: token, headers: ["Idempotency-Key: pay-1"])
            #expect(first.status == 201 && retry.status == 201 && retry.body == first.body,
                    "first: \(first.status) \(first.body); retry: \(retry.status) \(retry.body)")
            #expect(retry.head.lowercased().contains("idempotent-replayed: true") && !first.head.lowercased().contains("idempotent-replayed"))
            var other = transfer
            other["amount"] = "2000000000"
            let reused = try await RawHTTP.request(port: port, "POST", "/v1/ledger/transfers", json: other, token: token, headers: ["Idempotency-Key: pay-1"])
            #expect(reused.status == 422 && reused.json["code"] as? String == "request.idempotency_key_reused")
            let badKey = try await RawHTTP.request(port: port, "POST", "/v1/ledger/transfers", json: transfer, token: token, headers: ["Idempotency-Key: has space"])
            #expect(badKey.status == 400)
            let balance = try await RawHTTP.request(port: port, "GET", "/v1/ledger/accounts/\(account)")
            #expect(balance.json["free"] as? String == "9000000000", "one payment of 1 DML, not two")

            // Metrics count by route pattern.
            let metrics = try await RawHTTP.request(port: port, "GET", "/metrics")
            #expect(metrics.status == 200 && metrics.head.contains("text/plain; version=0.0.4"))
            #expect(metrics.body.contains(#"dml_http_requests_total{method="GET",route="/health",status="200"} 1"#))
            #expect(metrics.body.contains(#"route="/v1/ledger/accounts/{address}""#) || metrics.body.contains(#"route="/v1/ledger/accounts/:address""#))
            #expect(metrics.body.contains("dml_ledger_height "))

            // The general limit: the bucket empties, then 429 with Retry-After, and the refused request did nothing.
            var limited: RawHTTP.Reply?
            for _ in 0..<200 {
                let reply = try await RawHTTP.request(port: port, "GET", "/health")
                if reply.status == 429 { limited = reply; break }
            }
            // Recorded, not thrown: the server must still shut down and the world close below.
            #expect(limited?.json["code"] as? String == "request.rate_limited" && limited?.head.lowercased().contains("retry-after: ") == true)

            // Shutdown ends an open event stream (of a minute) at once, with what it had sent.
            let stream = Task { try await RawHTTP.request(port: port, "GET", "/v1/ledger/events/stream?after=0&seconds=60", token: token,
                                                          readTimeoutSeconds: 50) }
            // The stream is open once it follows the index: an event, not a sleep.
            for _ in 0..<6_000 where await world.server.indexer.listenerCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
            await world.server.shutdown()
            // Ended by the shutdown, not by its 60 s deadline (the read would give up at 50 s).
            let streamed = try await stream.value
            #expect(streamed.status == 200 && streamed.body.contains("event: transferred"))
        } }
    }
}
