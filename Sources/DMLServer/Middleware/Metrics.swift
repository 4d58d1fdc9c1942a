import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// Request counters and latency histograms in Prometheus's text format (served at `/metrics`),
/// kept by hand: a dozen lines of exposition format do not justify a metrics framework.
/// Labels are the route pattern (`/v1/bounties/{id}`), never the raw path, so their number
/// stays bounded whatever clients send.
final class APIMetrics: Sendable {
    static let bucketBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct Key: Hashable, Comparable {
        let method: String
        let route: String
        static func < (a: Key, b: Key) -> Bool { (a.route, a.method) < (b.route, b.method) }
    }

    private struct Histogram {
        var counts = [UInt64](repeating: 0, count: APIMetrics.bucketBounds.count)
        var sum = 0.0
        var count: UInt64 = 0
    }

    private struct State {
        var requests: [Key: [Int: UInt64]] = [:]
        var durations: [Key: Histogram] = [:]
        var inFlight = 0
    }

    private let state = Mutex(State())
    let started = Date()

    func begin() { state.withLock { $0.inFlight += 1 } }

    func end(method: String, route: String, status: Int, seconds: Double) {
        let key = Key(method: method, route: route)
        state.withLock { state in
            state.inFlight -= 1
            state.requests[key, default: [:]][status, default: 0] += 1
            var histogram = state.durations[key] ?? Histogram()
            for (index, bound) in Self.bucketBounds.enumerated() where seconds <= bound { histogram.counts[index] += 1 }
            histogram.sum += seconds
            histogram.count += 1
            state.durations[key] = histogram
        }
    }

    /// The exposition text; `gauges` are values read at scrape time (heights, roles).
    func render(gauges: [(name: String, help: String, value: Double)]) -> String {
        let snapshot = state.withLock { $0 }
        var text = """
            # HELP dml_http_requests_total HTTP requests answered, by route pattern, method and status.
            # TYPE dml_http_requests_total counter

            """
        for key in snapshot.requests.keys.sorted() {
            for (status, count) in snapshot.requests[key]!.sorted(by: { $0.key < $1.key }) {
                text += "dml_http_requests_total{method=\"\(key.method)\",route=\"\(Self.escape(key.route))\",status=\"\(status)\"} \(count)\n"
            }
        }
        text += """
            # HELP dml_http_request_duration_seconds Time from request head to response head, by route pattern and method.
            # TYPE dml_http_request_duration_seconds histogram

            """
        for key in snapshot.durations.keys.sorted() {
            let histogram = snapshot.durations[key]!
            let labels = "method=\"\(key.method)\",route=\"\(Self.escape(key.route))\""
            for (index, bound) in Self.bucketBounds.enumerated() {
                text += "dml_http_request_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(histogram.counts[index])\n"
            }
            text += "dml_http_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(histogram.count)\n"
            text += "dml_http_request_duration_seconds_sum{\(labels)} \(histogram.sum)\n"
            text += "dml_http_request_duration_seconds_count{\(labels)} \(histogram.count)\n"
        }
        text += "# HELP dml_http_requests_in_flight Requests being answered now.\n# TYPE dml_http_requests_in_flight gauge\n"
        text += "dml_http_requests_in_flight \(snapshot.inFlight)\n"
        let gauges = gauges + [("dml_uptime_seconds", "Seconds since the server started.", Date().timeIntervalSince(started))]
        for gauge in gauges {
            text += "# HELP \(gauge.name) \(gauge.help)\n# TYPE \(gauge.name) gauge\n\(gauge.name) \(gauge.value)\n"
        }
        return text
    }

    static func escape(_ label: String) -> String {
        label.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// Counts and times every request, gives it an id (`X-Request-Id`), and logs one structured
/// line per request: method, route, status, milliseconds, user, request id.
struct RequestLogMiddleware: RouterMiddleware {
    let metrics: APIMetrics
    let logger: Logger
    static let requestID = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let id = request.headers[Self.requestID].flatMap { $0.count <= 64 && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } ? $0 : nil }
            ?? String(UInt64.random(in: .min ... .max), radix: 16)
        metrics.begin()
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            // Only what the error shaper (inside this middleware) could not shape gets here.
            finish(request, context, status: 500, id: id, started: started)
            throw error
        }
        response.headers[Self.requestID] = id
        finish(request, context, status: response.status.code, id: id, started: started)
        return response
    }

    private func finish(_ request: Request, _ context: APIContext, status: Int, id: String, started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let route = context.endpointPath ?? "unmatched"
        metrics.end(method: request.method.rawValue, route: route, status: status, seconds: seconds)
        let level: Logger.Level = status >= 500 ? .error : .info
        // Metadata is only built when the line will be written (benchmarks run at `warning`).
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = ["method": "\(request.method)", "route": "\(route)", "status": "\(status)",
                                         "ms": "\((seconds * 1_000 * 10).rounded() / 10)", "request_id": "\(id)"]
        if let user = context.user { metadata["user"] = "\(user.userID)" }
        logger.log(level: level, "request", metadata: metadata)
    }
}
