import Foundation
import HummingbirdBcrypt
import NIOPosix

/// bcrypt, off the request threads: one hash at cost 12 takes about a quarter of a second of
/// CPU, which must not stall the event loops or the cooperative pool.
struct Passwords: Sendable {
    let cost: UInt8

    static let minimumLength = 8
    static let maximumBytes = 72   // bcrypt reads no further; longer passwords would be silently cut

    func check(_ password: String) throws(APIError) {
        guard password.count >= Self.minimumLength else { throw .invalid("password", "at least \(Self.minimumLength) characters") }
        guard password.utf8.count <= Self.maximumBytes else { throw .invalid("password", "at most \(Self.maximumBytes) bytes") }
    }

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}
