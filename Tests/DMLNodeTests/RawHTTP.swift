import DMLSystem
import Foundation

/// HTTP/1.1 on a bare loopback socket, for what polite clients never send: a missing or false
/// Content-Length, a body cut short. Sends `bytes`, half-closes, and reads the reply to the end,
/// on a thread of its own: the server answering may be this process's own.
enum RawHTTP {
    struct Reply: Sendable {
        let status: Int
        let head: String
        let body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
    }

    static func exchange(port: Int, _ bytes: [UInt8], readTimeoutSeconds: Int = 60) async throws -> Reply {
        try await Blocking.run("dml.test.rawhttp") { try exchangeBlocking(port: port, bytes, readTimeoutSeconds: readTimeoutSeconds) }
    }

    // blocking: socket calls, run by `exchange` on a thread of its own.
    private static func exchangeBlocking(port: Int, _ bytes: [UInt8], readTimeoutSeconds: Int) throws -> Reply {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var timeout = timeval(tv_sec: readTimeoutSeconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw CommandLineFailure("could not connect to port \(port)") }
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Foundation.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { break }
            sent += count
        }
        shutdown(socket, Int32(SHUT_WR))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                throw CommandLineFailure("no reply from port \(port) within \(readTimeoutSeconds) s")
            }
            guard count > 0 else { break }
            received += buffer[..<count]
        }
        let text = String(decoding: received, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        var body = parts.dropFirst().joined(separator: "\r\n\r\n")
        if head.lowercased().contains("transfer-encoding: chunked") { body = dechunk(body) }
        return Reply(status: status, head: head, body: body)
    }

    /// A request with a JSON body (or none), `Connection: close`.
    static func request(port: Int, _ method: String, _ path: String, json: Any? = nil, token: String? = nil,
                        headers: [String] = [], readTimeoutSeconds: Int = 60) async throws -> Reply {
        // Sorted keys: the same dictionary gives the same bytes, as a client's retry does.
        let body = try json.map { try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) } ?? Data()
        var lines = ["\(method) \(path) HTTP/1.1", "Host: 127.0.0.1", "Connection: close", "Content-Length: \(body.count)"]
        if json != nil { lines.append("Content-Type: application/json") }
        if let token { lines.append("Authorization: Bearer \(token)") }
        lines += headers
        return try await exchange(port: port, Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) + Array(body),
                                  readTimeoutSeconds: readTimeoutSeconds)
    }

    private static func dechunk(_ text: String) -> String {
        var output = ""
        var rest = Substring(text)
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
            let start = lineEnd.upperBound
            let utf8 = rest.utf8
            guard let end = utf8.index(start, offsetBy: size, limitedBy: utf8.endIndex) else { break }
            output += String(rest[start..<end])
            rest = rest[end...].dropFirst(2)
        }
        return output
    }
}
