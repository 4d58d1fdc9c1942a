import DMLSystem
import Foundation

/// Something that runs packages: `InProcessRunner` (the fuel-bounded `Sandbox` in this process,
/// fastest; what an app that embeds the worker uses) or a `ChildProcessSandbox` (also wall-clock
/// bounded, isolated). Neither blocks a thread of the cooperative pool: an in-process run is
/// CPU-bound work on a thread of its own (`Blocking`), a child-process run is awaited as an event.
public protocol AlgorithmRunner: Sendable {
    func run(_ package: AlgorithmPackage, input: [UInt8]) async -> RunResult
}

/// The in-process `Sandbox`, each run on a thread of its own.
public struct InProcessRunner: AlgorithmRunner {
    public let sandbox: Sandbox

    public init(_ sandbox: Sandbox = Sandbox()) { self.sandbox = sandbox }

    public func run(_ package: AlgorithmPackage, input: [UInt8]) async -> RunResult {
        await Blocking.run("dml.sandbox") { [sandbox] in sandbox.run(package, input: input) }
    }
}

extension AlgorithmRunner where Self == InProcessRunner {
    /// The in-process sandbox with its default limits.
    public static var inProcess: InProcessRunner { InProcessRunner() }
}

extension ChildProcessSandbox: AlgorithmRunner {}
