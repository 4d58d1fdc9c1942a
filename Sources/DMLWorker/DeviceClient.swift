import AsyncHTTPClient
import DMLCore
import Foundation
import NIOCore
import NIOFoundationCompat

/// The few API calls a device makes, over HTTP/1.1 with JSON bodies, signed in by its key
/// (challenge + key login: no password, no browser).
public final class DeviceClient: Sendable {
    public let server: URL
    public let key: AccountKey
    let http: HTTPClient
    private let session = TokenBox()

    public init(server: URL, key: AccountKey, http: HTTPClient = .shared) {
        self.server = server
        self.key = key
        self.http = http
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let status: Int
        public let code: String
        public let message: String
        public var description: String { "HTTP \(status) \(code): \(message)" }
    }

    /// Signs in with the device key: asks for a challenge, signs its message, logs in.
    public func signIn() async throws {
        let challenge = try await send("POST", "/v1/users/challenge", body: ["account": key.account.address], signedIn: false)
        guard let json = try JSONSerialization.jsonObject(with: challenge) as? [String: Any],
              let nonce = json["nonce"] as? String, let message = json["message"] as? String else {
            throw Failure(status: 0, code: "device.bad_challenge", message: "the server's challenge has no nonce and message")
        }
        let signature = Hex.encode(key.sign(Array(message.utf8)))
        let login = try await send("POST", "/v1/users/key-login",
                                   body: ["account": key.account.address, "nonce": nonce, "signature": signature], signedIn: false)
        guard let session = try JSONSerialization.jsonObject(with: login) as? [String: Any],
              let token = session["accessToken"] as? String else {
            throw Failure(status: 0, code: "device.bad_session", message: "the key login returned no access token")
        }
        self.session.set(token)
    }

    /// Uses an access token obtained elsewhere (a requester's, for reports).
    public func useToken(_ token: String) { session.set(token) }

    /// The access token in use, if signed in (for uploads made with another HTTP client).
    public var currentToken: String? { session.get() }

    /// A JSON request; on a 401 the device signs in again once and retries.
    public func send(_ method: String, _ path: String, body: Any? = nil, signedIn: Bool = true,
                     timeout: TimeAmount = .seconds(60)) async throws -> Data {
        let (status, data) = try await exchange(method, path, body: body, signedIn: signedIn, timeout: timeout)
        if status == 401 && signedIn {
            try await signIn()
            let (retryStatus, retryData) = try await exchange(method, path, body: body, signedIn: true, timeout: timeout)
            return try Self.check(retryStatus, retryData)
        }
        return try Self.check(status, data)
    }

    /// The status and body, for callers that treat some statuses (204) as answers.
    public func exchange(_ method: String, _ path: String, body: Any? = nil, signedIn: Bool = true,
                         timeout: TimeAmount = .seconds(60)) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: server.absoluteString.trimmingSuffix("/") + path)
        request.method = .init(rawValue: method)
        if let token = session.get(), signedIn { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await http.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 128 << 20)
        return (Int(response.status.code), Data(buffer: bytes))
    }

    static func check(_ status: Int, _ data: Data) throws -> Data {
        guard (200..<300).contains(status) else {
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            throw Failure(status: status, code: json?["code"] as? String ?? "http.\(status)",
                          message: json?["message"] as? String ?? String(decoding: data.prefix(200), as: UTF8.self))
        }
        return data
    }
}

private final class TokenBox: @unchecked Sendable {
    private let lock = NSLock()
    private var token: String?
    func get() -> String? { lock.withLock { token } }
    func set(_ value: String) { lock.withLock { token = value } }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
