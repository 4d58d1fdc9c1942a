import DMLLedger
import Foundation
import Hummingbird
import NIOCore

/// Liveness and readiness for load balancers and orchestrators; metrics for Prometheus.
struct SystemRoutes: Sendable {
    let server: APIServer

    func register(on router: Router<APIContext>) {
        router.get("/health") { _, _ in try reply(["status": "ok"]) }
        router.get("/ready") { _, _ in
            let head = await server.ledger.headHeight()
            let indexed = await server.indexer.height
            let ready = indexed + 64 >= head && !server.isDraining
            return try reply(ReadyView(ready: ready, head: head, indexed: indexed, chain: server.ledger.chainID.hex,
                                       sequencer: server.ledger.isSequencer),
                             status: ready ? .ok : .serviceUnavailable)
        }
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_json)))
        }
        router.get("/metrics") { _, _ in
            let head = await server.ledger.headHeight()
            let indexed = await server.indexer.height
            let text = server.metrics.render(gauges: [
                ("dml_ledger_height", "Height of the newest block this process knows.", Double(head)),
                ("dml_index_height", "Height the query index has reached.", Double(indexed)),
                ("dml_sequencer", "1 if this process sequences the chain, 0 if it follows.", server.ledger.isSequencer ? 1 : 0),
            ])
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
    }
}

struct ReadyView: Codable, Sendable {
    let ready: Bool
    let head: UInt64
    let indexed: UInt64
    let chain: String
    /// Whether this process sequences the chain (else it follows and queues writes).
    let sequencer: Bool
}
