import Hummingbird
import NIOCore
import Synchronization

/// Rendered list pages, kept until the index moves. A list reads only index tables, and those
/// change only when the indexer reaches a new height, so a page rendered at height H is exactly
/// what the same query would return until then. The first request after a new block pays for
/// the query; the rest are a dictionary lookup.
final class ListCache: Sendable {
    private struct Entry {
        let height: UInt64
        let body: ByteBuffer
    }

    private let entries = Mutex<[String: Entry]>([:])
    static let entriesMax = 512

    /// The page for `request` at `height` (the index height read before querying), rendering it
    /// with `render` when it is missing or older.
    func page(for request: Request, height: UInt64, render: () async throws -> ByteBuffer) async throws -> Response {
        let key = RequestGate.normalized(request.uri.path) + "?" + (request.uri.query ?? "")
        let cached = entries.withLock { $0[key] }
        let body: ByteBuffer
        if let cached, cached.height == height {
            body = cached.body
        } else {
            body = try await render()
            entries.withLock { entries in
                if entries.count >= Self.entriesMax { entries.removeAll(keepingCapacity: true) }
                entries[key] = Entry(height: height, body: body)
            }
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
    }
}
