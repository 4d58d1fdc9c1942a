import DMLLedger
import Foundation
import Hummingbird

/// Liveness and readiness, for load balancers and orchestrators.
struct SystemRoutes: Sendable {
    let server: APIServer

    func register(on router: Router<APIContext>) {
        router.get("/health") { _, _ in try reply(["status": "ok"]) }
        router.get("/ready") { _, _ in
            let head = await server.service.head.height
            let indexed = await server.indexer.height
            let ready = indexed + 64 >= head
            return try reply(ReadyView(ready: ready, head: head, indexed: indexed, chain: server.service.chainID.hex),
                             status: ready ? .ok : .serviceUnavailable)
        }
    }
}

struct ReadyView: Codable, Sendable {
    let ready: Bool
    let head: UInt64
    let indexed: UInt64
    let chain: String
}
