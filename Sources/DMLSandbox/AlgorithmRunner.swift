import Foundation

/// Something that runs packages: the in-process `Sandbox` (fuel-bounded, fastest; what an app
/// that embeds the worker uses) or a `ChildProcessSandbox` (also wall-clock bounded, isolated).
/// Runs happen off the caller's task, on a dispatch thread, so a long run never starves the
/// cooperative pool of a server.
public protocol AlgorithmRunner: Sendable {
    func runBlocking(_ package: AlgorithmPackage, input: [UInt8]) -> RunResult
}

extension AlgorithmRunner {
    public func run(_ package: AlgorithmPackage, input: [UInt8]) async -> RunResult {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: runBlocking(package, input: input)) }
        }
    }
}

extension Sandbox: AlgorithmRunner {
    public func runBlocking(_ package: AlgorithmPackage, input: [UInt8]) -> RunResult { run(package, input: input) }
}

extension ChildProcessSandbox: AlgorithmRunner {
    public func runBlocking(_ package: AlgorithmPackage, input: [UInt8]) -> RunResult { run(package, input: input) }
}
