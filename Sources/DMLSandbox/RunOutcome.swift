/// How a run ended. Every way a guest can fail is a case here, so the host never crashes and a
/// caller can tell a device's error from a hostile module.
public enum RunOutcome: Equatable, Sendable, CustomStringConvertible {
    case completed
    /// The entry function returned a nonzero code.
    case guestError(stage: String, code: Int32)
    /// The fuel limit ran out (an infinite loop ends here).
    case outOfFuel(limit: UInt64)
    /// A module asked for more linear memory than the limit allows.
    case memoryLimit(pages: Int)
    /// A stage wrote more output than the limit allows.
    case outputLimit(bytes: Int)
    /// The interpreter's call stack ran out (deep recursion).
    case stackExhausted(stage: String)
    /// Any other WebAssembly trap (unreachable, out-of-bounds access, division by zero, …).
    case trap(stage: String, reason: String)
    /// The module does not parse or validate, or uses a feature the host does not enable.
    case invalidModule(stage: String, reason: String)
    /// The module imports something outside the host ABI.
    case forbiddenImport(stage: String, name: String)
    /// The module lacks `memory` or the entry function, or they have the wrong type.
    case missingExport(stage: String, name: String)
    /// The input does not match the manifest's input schema.
    case inputRejected(reason: String)
    /// The stage's output does not match the manifest's output schema.
    case outputRejected(reason: String)
    /// A run in a child process outlived its wall-clock bound and was killed.
    case wallClockExceeded(milliseconds: Int)
    /// A run in a child process died without an answer.
    case crashed(reason: String)

    public var isCompleted: Bool { self == .completed }

    /// A stable name for logs, metrics and API errors.
    public var code: String {
        switch self {
        case .completed: "completed"
        case .guestError: "guest_error"
        case .outOfFuel: "out_of_fuel"
        case .memoryLimit: "memory_limit"
        case .outputLimit: "output_limit"
        case .stackExhausted: "stack_exhausted"
        case .trap: "trap"
        case .invalidModule: "invalid_module"
        case .forbiddenImport: "forbidden_import"
        case .missingExport: "missing_export"
        case .inputRejected: "input_rejected"
        case .outputRejected: "output_rejected"
        case .wallClockExceeded: "wall_clock_exceeded"
        case .crashed: "crashed"
        }
    }

    public var description: String {
        switch self {
        case .completed: "completed"
        case let .guestError(stage, code): "\(stage) returned error code \(code)"
        case .outOfFuel(let limit): "out of fuel (limit \(limit))"
        case .memoryLimit(let pages): "memory limit of \(pages) pages exceeded"
        case .outputLimit(let bytes): "output limit of \(bytes) bytes exceeded"
        case .stackExhausted(let stage): "\(stage): call stack exhausted"
        case let .trap(stage, reason): "\(stage) trapped: \(reason)"
        case let .invalidModule(stage, reason): "\(stage) is not a valid module here: \(reason)"
        case let .forbiddenImport(stage, name): "\(stage) imports '\(name)', which the host does not provide"
        case let .missingExport(stage, name): "\(stage) does not export '\(name)' as the ABI requires"
        case .inputRejected(let reason): "input rejected: \(reason)"
        case .outputRejected(let reason): "output rejected: \(reason)"
        case .wallClockExceeded(let ms): "killed after \(ms) ms of wall-clock time"
        case .crashed(let reason): "the sandbox process died: \(reason)"
        }
    }
}
