import DMLCore
import Synchronization
@_spi(Fuzzing) import WasmKit

/// What one run produced: the outcome, the final output, the fuel the run used and the
/// digests a receipt signs. Deterministic: the same package and input give the same result.
public struct RunResult: Sendable, Equatable {
    public var outcome: RunOutcome
    /// The last stage's output (empty unless the run completed).
    public var output: [UInt8]
    /// Fuel used by every stage together.
    public var fuelUsed: UInt64
    /// The guest's `log` lines (bounded), not part of any receipt.
    public var logs: [String]
    public var inputDigest: Hash256
    public var outputDigest: Hash256

    public init(outcome: RunOutcome, output: [UInt8], fuelUsed: UInt64, logs: [String], inputDigest: Hash256) {
        self.outcome = outcome
        self.output = output
        self.fuelUsed = fuelUsed
        self.logs = logs
        self.inputDigest = inputDigest
        self.outputDigest = Hash256.of(output)
    }
}

/// Runs algorithm packages with WasmKit inside fixed limits: fuel metering, a memory cap, an
/// output cap, only the host ABI's imports, a fixed feature set. Every failure is a
/// `RunOutcome`; nothing a module does can crash or stall the host beyond its fuel.
///
/// WasmKit cannot interrupt a running guest, so fuel is the in-process bound on time; a hard
/// wall-clock bound comes from running in a child process (`ChildProcessSandbox`).
public final class Sandbox: Sendable {
    private let engine: Engine
    /// Parsed modules by digest: parsing is the costly part of a small run.
    private let parsed = Mutex<[Hash256: Module]>([:])
    private static let parsedMax = 64

    public init() {
        // Software bounds checks: the mprotect strategy maps a 4 GiB region per instance, which
        // costs more than a small run itself (measured by `dml algo bench`, docs/benchmarks.md).
        engine = Engine(configuration: EngineConfiguration(features: [.referenceTypes], memoryBoundsChecking: .software, fuelMetering: true))
    }

    /// Runs every stage of `package` on `input`, checking the input and output schemas.
    public func run(_ package: AlgorithmPackage, input: [UInt8]) -> RunResult {
        let manifest = package.manifest
        let inputDigest = Hash256.of(input)
        if let problem = InputCodec.problem(with: input, schema: manifest.input) {
            return RunResult(outcome: .inputRejected(reason: problem), output: [], fuelUsed: 0, logs: [], inputDigest: inputDigest)
        }
        var bytes = input
        var fuelLeft = manifest.limits.fuel
        var logs: [String] = []
        for stage in manifest.stages {
            // The manifest was checked when the package was read: every stage is present.
            let module = package.modules[stage] ?? []
            let result = runStage(module, name: stage, entry: manifest.entry, input: bytes, limits: manifest.limits, fuel: fuelLeft)
            logs += result.logs.prefix(HostABI.logLinesMax - logs.count)
            fuelLeft -= result.fuelUsed
            guard result.outcome == .completed else {
                return RunResult(outcome: result.outcome, output: [], fuelUsed: manifest.limits.fuel - fuelLeft, logs: logs,
                                 inputDigest: inputDigest)
            }
            bytes = result.output
        }
        var outcome = RunOutcome.completed
        if let problem = OutputCodec.problem(with: bytes, schema: manifest.output) {
            outcome = .outputRejected(reason: problem)
            bytes = []
        }
        return RunResult(outcome: outcome, output: bytes, fuelUsed: manifest.limits.fuel - fuelLeft, logs: logs,
                         inputDigest: inputDigest)
    }

    /// One module, one input: the building block of `run`, reducers and benchmarks.
    public func runStage(_ bytes: [UInt8], name: String, entry: String, input: [UInt8],
                         limits: AlgorithmManifest.Limits, fuel: UInt64) -> StageResult {
        let module: Module
        switch load(bytes, name: name, entry: entry) {
        case .success(let loaded): module = loaded
        case .failure(let refusal): return StageResult(outcome: refusal.outcome, output: [], fuelUsed: 0, logs: [])
        }
        let store = Store(engine: engine)
        let cap = MemoryCap(pages: limits.memoryPages)
        store.resourceLimiter = cap
        store.fuel = Fuel(remaining: fuel)
        let host = HostState(input: input, outputBytesMax: limits.outputBytes)
        var imports = Imports()
        for (importName, function) in host.functions(store: store) {
            imports.define(module: HostABI.importModule, name: importName, function)
        }
        var outcome = RunOutcome.completed
        do {
            let instance = try module.instantiate(store: store, imports: imports)
            guard let run = instance.exports[function: entry], run.type.parameters.isEmpty, run.type.results == [.i32] else {
                throw Refusal.missingExport("\(entry): () -> i32")
            }
            host.memory = instance.exports[memory: HostABI.memoryExport]
            let results = try run.invoke([])
            if case .i32(let raw) = results.first, raw != 0 {
                outcome = .guestError(stage: name, code: Int32(bitPattern: raw))
            }
        } catch let stop as HostStop {
            outcome = stop.outcome(stage: name)
        } catch let refusal as Refusal {
            outcome = refusal.outcome(stage: name)
        } catch {
            outcome = Self.classify(error, stage: name, limits: limits, fuel: fuel, memoryDenied: cap.denied)
        }
        let used = fuel - (store.fuel?.remaining ?? fuel)
        return StageResult(outcome: outcome, output: outcome == .completed ? host.output : [], fuelUsed: used, logs: host.logs)
    }

    public struct StageResult: Sendable {
        public var outcome: RunOutcome
        public var output: [UInt8]
        public var fuelUsed: UInt64
        public var logs: [String]
    }

    /// Parses and checks a module's imports and exports against the ABI, caching the parse.
    private func load(_ bytes: [UInt8], name: String, entry: String) -> Result<Module, LoadRefusal> {
        let digest = Hash256.of(bytes)
        if let module = parsed.withLock({ $0[digest] }) { return .success(module) }
        let module: Module
        do {
            module = try parseWasm(bytes: bytes, features: [.referenceTypes])
        } catch {
            return .failure(LoadRefusal(outcome: .invalidModule(stage: name, reason: "\(error)")))
        }
        if let proposal = FeatureCheck.forbiddenFeature(in: bytes) {
            return .failure(LoadRefusal(outcome: .invalidModule(stage: name, reason: "uses \(proposal), which the host does not enable")))
        }
        for entryImport in module.imports {
            let qualified = "\(entryImport.module).\(entryImport.name)"
            guard entryImport.module == HostABI.importModule, let shape = HostABI.imports[entryImport.name],
                  case .function(let typeIndex) = entryImport.descriptor,
                  let type = module.functionType(at: typeIndex),
                  type.parameters == Array(repeating: .i32, count: shape.parameters),
                  type.results == Array(repeating: .i32, count: shape.results) else {
                return .failure(LoadRefusal(outcome: .forbiddenImport(stage: name, name: qualified)))
            }
        }
        let exported = Dictionary(module.exports.map { ($0.name, $0.descriptor) }, uniquingKeysWith: { first, _ in first })
        guard case .memory = exported[HostABI.memoryExport] else {
            return .failure(LoadRefusal(outcome: .missingExport(stage: name, name: HostABI.memoryExport)))
        }
        // (The entry's type is checked on the instance: an export names a function index,
        // and WasmKit resolves its type only there.)
        guard case .function = exported[entry] else {
            return .failure(LoadRefusal(outcome: .missingExport(stage: name, name: "\(entry): () -> i32")))
        }
        parsed.withLock { cache in
            if cache.count >= Self.parsedMax { cache.removeAll() }
            cache[digest] = module
        }
        return .success(module)
    }

    /// Turns a WasmKit error into an outcome. WasmKit keeps the trap reason's type internal, so
    /// the reason is read from its description, which names it verbatim.
    static func classify(_ error: any Error, stage: String, limits: AlgorithmManifest.Limits, fuel: UInt64,
                         memoryDenied: Bool) -> RunOutcome {
        let text = "\(error)"
        if text.contains("out of fuel") { return .outOfFuel(limit: limits.fuel) }
        if memoryDenied || text.contains("exceeds the resource limit") { return .memoryLimit(pages: limits.memoryPages) }
        if text.contains("call stack exhausted") { return .stackExhausted(stage: stage) }
        guard error is Trap else { return .invalidModule(stage: stage, reason: text) }
        let reason = text.split(separator: "\n").first.map(String.init) ?? text
        return .trap(stage: stage, reason: reason.replacingOccurrences(of: "Trap: ", with: ""))
    }
}

private struct LoadRefusal: Error {
    let outcome: RunOutcome
}

private enum Refusal: Error {
    case missingExport(String)
    func outcome(stage: String) -> RunOutcome {
        switch self {
        case .missingExport(let name): .missingExport(stage: stage, name: name)
        }
    }
}

/// Refuses linear memory (and tables) beyond the manifest's limit, and remembers that it did so
/// that a guest which traps after a refused `memory.grow` is reported as a memory bomb.
final class MemoryCap: ResourceLimiter, @unchecked Sendable {
    let bytesMax: Int
    let tableElementsMax = 100_000
    private(set) var denied = false

    init(pages: Int) { bytesMax = pages * 65_536 }

    func limitMemoryGrowth(to desired: Int) throws -> Bool {
        guard desired <= bytesMax else {
            denied = true
            return false
        }
        return true
    }

    func limitTableGrowth(to desired: Int) throws -> Bool { desired <= tableElementsMax }
}
