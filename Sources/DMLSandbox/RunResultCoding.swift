import DMLCore
import Foundation

/// The JSON form of a run result: how a child sandbox process answers its parent, and how
/// `dml algo run --json` prints one.
public struct RunResultDocument: Codable, Sendable {
    public var outcome: String
    public var stage: String?
    public var reason: String?
    public var value: Int64?
    public var output: String
    public var fuelUsed: UInt64
    public var logs: [String]
    public var inputDigest: String
    public var outputDigest: String

    public init(_ result: RunResult) {
        outcome = result.outcome.code
        output = Data(result.output).base64EncodedString()
        fuelUsed = result.fuelUsed
        logs = result.logs
        inputDigest = result.inputDigest.hex
        outputDigest = result.outputDigest.hex
        switch result.outcome {
        case .completed: break
        case let .guestError(stage, code): self.stage = stage; value = Int64(code)
        case .outOfFuel(let limit): value = Int64(clamping: limit)
        case .memoryLimit(let pages): value = Int64(pages)
        case .outputLimit(let bytes): value = Int64(bytes)
        case .stackExhausted(let stage): self.stage = stage
        case let .trap(stage, reason), let .invalidModule(stage, reason): self.stage = stage; self.reason = reason
        case let .forbiddenImport(stage, name), let .missingExport(stage, name): self.stage = stage; self.reason = name
        case .inputRejected(let why), .outputRejected(let why), .crashed(let why): reason = why
        case .wallClockExceeded(let ms): value = Int64(ms)
        }
    }

    /// The result this document describes, or nil when it is not one this host wrote.
    public var result: RunResult? {
        guard let output = Data(base64Encoded: output), let input = Hash256(hex: inputDigest) else { return nil }
        let stage = stage ?? "", reason = reason ?? "", value = value ?? 0
        let outcome: RunOutcome
        switch self.outcome {
        case "completed": outcome = .completed
        case "guest_error": outcome = .guestError(stage: stage, code: Int32(clamping: value))
        case "out_of_fuel": outcome = .outOfFuel(limit: UInt64(clamping: value))
        case "memory_limit": outcome = .memoryLimit(pages: Int(value))
        case "output_limit": outcome = .outputLimit(bytes: Int(value))
        case "stack_exhausted": outcome = .stackExhausted(stage: stage)
        case "trap": outcome = .trap(stage: stage, reason: reason)
        case "invalid_module": outcome = .invalidModule(stage: stage, reason: reason)
        case "forbidden_import": outcome = .forbiddenImport(stage: stage, name: reason)
        case "missing_export": outcome = .missingExport(stage: stage, name: reason)
        case "input_rejected": outcome = .inputRejected(reason: reason)
        case "output_rejected": outcome = .outputRejected(reason: reason)
        case "wall_clock_exceeded": outcome = .wallClockExceeded(milliseconds: Int(value))
        case "crashed": outcome = .crashed(reason: reason)
        default: return nil
        }
        return RunResult(outcome: outcome, output: [UInt8](output), fuelUsed: fuelUsed, logs: logs, inputDigest: input)
    }
}
