/// An operating error of the durable store: a stable code, a message that says what to do, and
/// the underlying cause. Distinct from a ledger rejection: the transaction was fine, the disk or
/// database was not.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The database could not be opened or reached.
        case unavailable
        /// The database holds something that is not a valid DML log (corruption or tampering).
        case corrupt
        /// A write failed; nothing after the last committed block was stored.
        case writeFailed
        /// The log belongs to another chain than the one asked for.
        case chainMismatch
        /// A block was appended out of order.
        case outOfOrder
    }

    public let code: Code
    public let message: String
    public let cause: String?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause.map { String(reflecting: $0) }
    }

    public var description: String {
        "[store.\(code.rawValue)] \(message)" + (cause.map { " (cause: \($0))" } ?? "")
    }
}
