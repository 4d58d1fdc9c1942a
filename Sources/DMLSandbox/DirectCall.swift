import WasmKit

/// A module called with nothing around it — no fuel metering, no caps, no schema checks, one
/// instance reused — as the baseline the sandbox's overhead is measured against
/// (`dml algo bench`). Never for untrusted code.
public final class DirectCall {
    private let run: Function
    private let host: HostState

    public init(module bytes: [UInt8], entry: String = "run", input: [UInt8]) throws {
        let engine = Engine(configuration: EngineConfiguration(features: [.referenceTypes]))
        let store = Store(engine: engine)
        host = HostState(input: input, outputBytesMax: Int(Int32.max))
        var imports = Imports()
        for (name, function) in host.functions(store: store) { imports.define(module: HostABI.importModule, name: name, function) }
        let instance = try parseWasm(bytes: bytes, features: [.referenceTypes]).instantiate(store: store, imports: imports)
        guard let run = instance.exports[function: entry] else { throw HostStop.badArgument("no export \(entry)") }
        host.memory = instance.exports[memory: HostABI.memoryExport]
        self.run = run
    }

    /// Calls the entry once; returns its code. Output accumulates (the caller ignores it).
    @discardableResult
    public func call() throws -> [Value] {
        host.resetOutput()
        return try run.invoke([])
    }
}
