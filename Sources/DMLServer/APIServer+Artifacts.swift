import DMLBlobs
import DMLCore
import DMLLedger
import Hummingbird
import NIOCore

/// Algorithm artifacts kept by the server, in a content-addressed blob folder.
extension APIServer {
    /// Streams the request body into the artifact store; 411 without a length, 413 past the limit,
    /// 400 when the body ends early. Nothing is stored unless every byte arrived.
    func storeArtifact(_ request: Request) async throws -> StoredBlob {
        guard let length = request.headers[.contentLength].flatMap(UInt64.init) else {
            throw APIError(.lengthRequired, "request.length_required", "send the artifact with a Content-Length header")
        }
        let limit = configuration.artifactBytesMax
        guard length <= limit else {
            throw APIError(.contentTooLarge, "request.too_large", "the artifact is \(length) bytes; at most \(limit) are accepted")
        }
        guard length > 0 else { throw APIError.badRequest("request.empty", "the artifact is empty") }
        let stored: StoredBlob
        do throws(BlobError) {
            stored = try await artifacts.put(bytesMax: length, from: request.body.map { Array($0.readableBytesView) })
        } catch {
            switch error {
            case .tooLarge: throw APIError(.contentTooLarge, "request.too_large", "the body is longer than its Content-Length")
            case .truncated(let received, _):
                throw APIError.badRequest("request.truncated", "the body ended after \(received) of \(length) bytes; nothing was stored")
            default: throw error
            }
        }
        guard stored.size == length else {
            try? artifacts.delete(stored.id)
            throw APIError.badRequest("request.truncated", "the body ended after \(stored.size) of \(length) bytes; nothing was stored")
        }
        return stored
    }

    /// The ledger form of an uploaded artifact's CID; 422 unless it was uploaded here first.
    func knownArtifact(_ text: String, field: String) throws(APIError) -> ContentAddress {
        guard let cid = ContentID(text) else { throw .invalid(field, "a CID as returned by POST /v1/algorithms/artifacts") }
        guard artifacts.contains(cid), let address = ContentAddress(bytes: cid.bytes) else {
            throw .invalid(field, "no artifact \(cid) on this server: upload it to POST /v1/algorithms/artifacts first")
        }
        return address
    }

    /// The ledger form of an artifact `account` holds (uploaded here, or a federated job's model it
    /// asked for); 403 for a CID it only knows: a listing may not name someone else's bytes.
    func heldArtifact(_ text: String, field: String, by account: AccountID) async throws -> ContentAddress {
        let address = try knownArtifact(text, field: field)
        guard let cid = try? ContentID(bytes: address.bytes), try await holders.holds(cid, account) else {
            throw APIError(.forbidden, "artifacts.not_holder",
                           "\(field) names an artifact you did not upload: upload the bytes yourself (POST /v1/algorithms/artifacts)")
        }
        return address
    }

    /// The artifact's bytes, each chunk verified against its address as it is read.
    func streamArtifact(_ cid: ContentID) throws -> Response {
        let size: UInt64
        let stream: VerifiedBlobStream
        do {
            size = try artifacts.size(of: cid)
            stream = try artifacts.read(cid)
        } catch {
            throw APIError.notFound("artifact \(cid)")
        }
        let body = ResponseBody(contentLength: Int(size)) { writer in
            for try await piece in stream { try await writer.write(ByteBuffer(bytes: piece)) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/octet-stream", .contentLength: String(size)], body: body)
    }
}
