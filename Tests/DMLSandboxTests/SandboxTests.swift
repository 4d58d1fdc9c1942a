import DMLCore
@testable import DMLSandbox
import Foundation
import Testing

@Suite struct SandboxTests {
    let sandbox = Sandbox()

    @Test func aModuleReadsItsInputAndWritesItsOutput() async throws {
        let package = try WasmFixtures.package(try await WasmFixtures.module(Programs.byteSum))
        let input: [UInt8] = Array(1...200)
        let result = sandbox.run(package, input: input)
        #expect(result.outcome == .completed)
        #expect(OutputCodec.vector(result.output) == [Double(input.reduce(0) { $0 + Int($1) })])
        #expect(result.logs == ["summed"])
        #expect(result.fuelUsed > 0 && result.fuelUsed < 5_000_000)
        #expect(result.inputDigest == Hash256.of(input))
        // Deterministic: the same run gives the same result, fuel included.
        #expect(sandbox.run(package, input: input) == result)
        #expect(Sandbox().run(package, input: input) == result)
    }

    @Test func hostileModulesEndInTypedOutcomesAndTheHostStaysHealthy() async throws {
        let cases: [(String, String, (RunOutcome) -> Bool)] = [
            ("infinite loop", "int run(void) { volatile int x = 0; for (;;) x++; return 0; }",
             { if case .outOfFuel = $0 { true } else { false } }),
            ("memory bomb", "int run(void) { for (;;) if (__builtin_wasm_memory_grow(0, 16) == (__SIZE_TYPE__)-1) __builtin_trap(); }",
             { $0 == .memoryLimit(pages: 16) }),
            ("deep recursion", "int f(int n) { volatile int pad[16]; pad[0] = n; return n == 0 ? 0 : f(n + 1) + pad[0]; } int run(void) { return f(1); }",
             { if case .stackExhausted = $0 { true } else if case .trap = $0 { true } else { false } }),
            ("huge output", "static char block[1024]; int run(void) { for (;;) output_write(block, sizeof block); }",
             { $0 == .outputLimit(bytes: 1_024) }),
            ("trap", "int run(void) { __builtin_trap(); }",
             { if case .trap(_, let reason) = $0 { reason.contains("unreachable") } else { false } }),
            ("division by zero", "int run(void) { volatile int zero = 0; return 10 / zero; }",
             { if case .trap(_, let reason) = $0 { reason.contains("divide by zero") } else { false } }),
            ("out-of-bounds host pointer", "int run(void) { return input_read((void *)0x7ffffff0, 0, 64); }",
             { if case .trap(_, let reason) = $0 { reason.contains("outside") } else { false } }),
            ("negative length", "int run(void) { static char b[8]; return output_write(b, -1); }",
             { if case .trap(_, let reason) = $0 { reason.contains("negative") } else { false } }),
            ("guest error", "int run(void) { return 7; }", { $0 == .guestError(stage: "main.wasm", code: 7) }),
        ]
        for (name, source, expected) in cases {
            let package = try WasmFixtures.package(try await WasmFixtures.module(source))
            let result = sandbox.run(package, input: [1, 2, 3])
            #expect(expected(result.outcome), "\(name): \(result.outcome)")
            #expect(result.output.isEmpty, "\(name) produced output")
        }
        // After all of that, an honest module still runs.
        let honest = try WasmFixtures.package(try await WasmFixtures.module(Programs.byteSum))
        #expect(sandbox.run(honest, input: [1, 2]).outcome == .completed)
    }

    @Test func aModuleWhoseInitialMemoryExceedsTheCapIsRefused() async throws {
        // The module declares 64 pages of initial memory; the cap is 16.
        let module = try await WasmFixtures.module("int run(void) { return 0; }", flags: ["-Wl,--initial-memory=4194304"])
        let result = sandbox.run(try WasmFixtures.package(module), input: [])
        #expect(result.outcome == .memoryLimit(pages: 16))
    }

    @Test func importsOutsideTheABIAreRefusedBeforeAnythingRuns() async throws {
        let wasi = """
        __attribute__((import_module("wasi_snapshot_preview1"), import_name("clock_time_get")))
        int clock_time_get(int id, long long precision, long long *time);
        int run(void) { long long t; return clock_time_get(0, 1, &t); }
        """
        let result = sandbox.run(try WasmFixtures.package(try await WasmFixtures.module(wasi)), input: [])
        #expect(result.outcome == .forbiddenImport(stage: "main.wasm", name: "wasi_snapshot_preview1.clock_time_get"))
        // A dml import with the wrong type is refused too.
        let wrongType = """
        __attribute__((import_module("dml"), import_name("log"))) int bad_log(int a);
        int run(void) { return bad_log(1); }
        """
        let typed = sandbox.run(try WasmFixtures.package(try await WasmFixtures.module(wrongType)), input: [])
        #expect(typed.outcome == .forbiddenImport(stage: "main.wasm", name: "dml.log"))
    }

    @Test func malformedModulesAndMissingExportsAreNamed() async throws {
        var garbage: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
        garbage += [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x60]
        let malformed = sandbox.run(try WasmFixtures.package(garbage), input: [])
        if case .invalidModule = malformed.outcome {} else { Issue.record("malformed: \(malformed.outcome)") }

        #expect(throws: PackageError.notWebAssembly("main.wasm")) { try WasmFixtures.package(Array("hello".utf8)) }

        let noRun = try await WasmFixtures.module("int other(void) { return 0; } int run(void);", flags: ["-Wl,--export=other", "-Wl,--allow-undefined"])
        let missing = sandbox.run(try WasmFixtures.package(noRun), input: [])
        if case .missingExport = missing.outcome {} else if case .forbiddenImport = missing.outcome {} else {
            Issue.record("missing export: \(missing.outcome)")
        }
    }

    @Test func featuresOutsideTheFixedSetAreRefused() async throws {
        let simd = try await WasmFixtures.module("""
        typedef float v4 __attribute__((vector_size(16)));
        int run(void) { v4 a; input_read(&a, 0, 16); v4 b = a * a; output_write(&b, 8); return 0; }
        """, flags: ["-msimd128"])
        let result = sandbox.run(try WasmFixtures.package(simd), input: [])
        if case .invalidModule(_, let reason) = result.outcome {
            #expect(reason.lowercased().contains("simd"), "\(reason)")
        } else {
            Issue.record("SIMD module ran: \(result.outcome)")
        }
    }

    @Test func inputsAndOutputsAreCheckedAgainstTheSchema() async throws {
        let module = try await WasmFixtures.module(Programs.byteSum)
        let matrix = try WasmFixtures.package(module, input: .init(format: .f32Matrix, columns: 2))
        let good = InputCodec.matrix([[1, 2], [3, 4]], columns: 2)
        #expect(sandbox.run(matrix, input: good).outcome == .completed)
        let wrongColumns = InputCodec.matrix([[1, 2, 3]], columns: 3)
        #expect(sandbox.run(matrix, input: wrongColumns).outcome == .inputRejected(reason: "the matrix has 3 columns, the algorithm reads 2"))
        let truncated = Array(good.dropLast(3))
        if case .inputRejected = sandbox.run(matrix, input: truncated).outcome {} else { Issue.record("truncated input ran") }
        // A hostile header claiming 2³² rows is refused by arithmetic, never allocated for.
        let huge: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x01, 0x00, 1, 2, 3, 4]
        let wide = try WasmFixtures.package(module, input: .init(format: .f32Matrix, columns: 65_536))
        #expect(sandbox.run(wide, input: huge).outcome
            == .inputRejected(reason: "4294967295 rows × 65536 columns need 1125899906580488 bytes, the input has 12"))
        let notFinite = InputCodec.matrix([[1, .nan]], columns: 2)
        #expect(sandbox.run(matrix, input: notFinite).outcome == .inputRejected(reason: "row 1, column 2 is not a finite number"))

        // The output must be exactly the declared fields.
        let twoFields = try WasmFixtures.package(module, fields: ["a", "b"])
        #expect(sandbox.run(twoFields, input: [1]).outcome == .outputRejected(reason: "the output has 8 bytes, 2 f64 values need 16"))
    }

    @Test func stagesChainAndShareOneFuelBudget() async throws {
        // Pre-processing doubles every byte; the main module sums.
        let double = try await WasmFixtures.module("""
        static unsigned char b[4096];
        int run(void) { int n = input_read(b, 0, sizeof b); for (int i = 0; i < n; i++) b[i] *= 2; output_write(b, n); return 0; }
        """)
        let manifest = AlgorithmManifest(name: "staged", version: "1", module: "sum.wasm", preprocess: "double.wasm",
                                         input: .init(format: .bytes), output: .init(fields: ["sum"]),
                                         limits: .init(fuel: 5_000_000, memoryPages: 16, outputBytes: 8_192), aggregation: .sum)
        let package = try AlgorithmPackage(manifest: manifest, modules: ["sum.wasm": try await WasmFixtures.module(Programs.byteSum), "double.wasm": double])
        let result = sandbox.run(package, input: [1, 2, 3])
        #expect(result.outcome == .completed)
        #expect(OutputCodec.vector(result.output) == [12])
        let single = sandbox.run(try WasmFixtures.package(try await WasmFixtures.module(Programs.byteSum)), input: [1, 2, 3])
        #expect(result.fuelUsed > single.fuelUsed)
    }

    @Test func receiptsSignVerifyAndMatchOnlyAnIdenticalRerun() async throws {
        let package = try WasmFixtures.package(try await WasmFixtures.module(Programs.byteSum))
        let key = AccountKey.insecureDerived(from: "device-1")
        let result = sandbox.run(package, input: [5, 6, 7])
        let nonce = Hash256.of(Array("lease-1".utf8))
        let receipt = RunReceipt(result: result, algorithm: package.address, nonce: nonce, key: key)
        #expect(receipt.isSignatureValid)
        #expect(receipt.matches(sandbox.run(package, input: [5, 6, 7]), algorithm: package.address))
        #expect(!receipt.matches(sandbox.run(package, input: [5, 6, 8]), algorithm: package.address))

        var tampered = receipt
        tampered.outputDigest = Hash256.of([0])
        #expect(!tampered.isSignatureValid)
        var otherNonce = receipt
        otherNonce.nonce = .zero
        #expect(!otherNonce.isSignatureValid)
        var stolen = receipt
        stolen.device = AccountKey.insecureDerived(from: "device-2").account
        #expect(!stolen.isSignatureValid)

        // JSON round trip keeps every field.
        let json = try JSONEncoder().encode(receipt)
        #expect(try JSONDecoder().decode(RunReceipt.self, from: json) == receipt)
    }

    @Test func packagesRejectBadManifestsWithEveryProblemNamed() async throws {
        let module = try await WasmFixtures.module(Programs.byteSum)
        var manifest = AlgorithmManifest(name: "", version: "1", abi: 9, module: "main.wasm", input: .init(format: .f32Matrix),
                                         output: .init(fields: ["a", "a"]), limits: .init(fuel: 0, memoryPages: 0, outputBytes: 8),
                                         aggregation: .columnStats)
        #expect(throws: PackageError.self) { try AlgorithmPackage(manifest: manifest, modules: ["main.wasm": module]) }
        let problems = manifest.problems()
        for expected in ["name is empty", "abi 9", "input.columns is required", "duplicate", "limits.fuel", "limits.memoryPages", "columnStats"] {
            #expect(problems.contains { $0.contains(expected) }, "missing problem: \(expected) in \(problems)")
        }
        manifest = AlgorithmManifest(name: "ok", version: "1", module: "main.wasm", input: .init(format: .bytes),
                                     output: .init(fields: ["a"]), aggregation: .sum)
        #expect(throws: PackageError.missingModule("main.wasm")) { try AlgorithmPackage(manifest: manifest, modules: [:]) }
        #expect(throws: PackageError.self) { try AlgorithmPackage(bytes: Array("{\"format\": 1}".utf8)) }
        #expect(throws: PackageError.self) { try AlgorithmPackage(bytes: Array("not json".utf8)) }
        // The address is the digest of the package file, and rebuilding gives the same bytes.
        let package = try AlgorithmPackage(manifest: manifest, modules: ["main.wasm": module])
        #expect(package.address == Hash256.of(package.bytes))
        #expect(try AlgorithmPackage(manifest: manifest, modules: ["main.wasm": module]).bytes == package.bytes)
        #expect(try AlgorithmPackage(bytes: package.bytes).manifest == manifest)
    }
}

@Suite struct AggregationTests {
    let device = (1...3).map { AccountKey.insecureDerived(from: "agg-\($0)").account }

    func package(_ rule: AggregationRule, fields: [String]) async throws -> AlgorithmPackage {
        try WasmFixtures.package(try await WasmFixtures.module(Programs.byteSum), fields: fields, aggregation: rule)
    }

    func contributions(_ vectors: [[Double]]) -> [Aggregation.Contribution] {
        zip(device, vectors).map { Aggregation.Contribution(device: $0, output: OutputCodec.bytes($1)) }
    }

    @Test func rulesComputeWhatTheyNameInAnyArrivalOrder() async throws {
        let vectors: [[Double]] = [[1, 10], [2, 20], [6, -3]]
        let sandbox = Sandbox()
        for (rule, expected) in [(AggregationRule.sum, [9.0, 27]), (.mean, [3, 9]), (.min, [1, -3]), (.max, [6, 20])] {
            let forward = Aggregation.aggregate(contributions(vectors), package: try await package(rule, fields: ["a", "b"]), sandbox: sandbox)
            let backward = Aggregation.aggregate(contributions(vectors).reversed(), package: try await package(rule, fields: ["a", "b"]), sandbox: sandbox)
            #expect(try forward.get() == expected, "\(rule)")
            #expect(try backward.get() == expected, "\(rule) reversed")
        }
    }

    @Test func columnStatsMergeExactly() async throws {
        // Column values {1, 2} on one device and {4} on another.
        let first: [Double] = [2, 3, 5, 1, 2], second: [Double] = [1, 4, 16, 4, 4]
        let fields = ["c.count", "c.sum", "c.sumsq", "c.min", "c.max"]
        let merged = try Aggregation.aggregate(contributions([first, second]), package: try await package(.columnStats, fields: fields),
                                               sandbox: Sandbox()).get()
        #expect(merged == [3, 7, 21, 1, 4])
        let summary = Aggregation.columnSummaries(merged)[0]
        #expect(summary.mean == 7.0 / 3)
        #expect(abs(summary.std - (21.0 / 3 - 49.0 / 9).squareRoot()) < 1e-12)
    }

    @Test func aWrongSizedOutputIsRefusedByName() async throws {
        let result = Aggregation.aggregate([Aggregation.Contribution(device: device[0], output: [1, 2, 3])],
                                           package: try await package(.sum, fields: ["a"]), sandbox: Sandbox())
        guard case .failure(.badOutput(let who, _)) = result else { Issue.record("accepted: \(result)"); return }
        #expect(who == device[0])
        #expect(Aggregation.aggregate([], package: try await package(.sum, fields: ["a"]), sandbox: Sandbox()) == .failure(.noResults))
    }

    @Test func aWebAssemblyReducerCombinesOutputs() async throws {
        // The reducer multiplies the first value of every contribution.
        let reducer = try await WasmFixtures.module("""
        static double values[64];
        int run(void) { int n = input_read(values, 0, sizeof values) / 8; double product = 1;
          for (int i = 0; i < n; i++) product *= values[i]; output_write(&product, 8); return 0; }
        """)
        let manifest = AlgorithmManifest(name: "r", version: "1", module: "main.wasm", input: .init(format: .bytes),
                                         output: .init(fields: ["p"]), aggregation: .reducer, reducer: "reduce.wasm")
        let package = try AlgorithmPackage(manifest: manifest, modules: ["main.wasm": try await WasmFixtures.module(Programs.byteSum), "reduce.wasm": reducer])
        #expect(try Aggregation.aggregate(contributions([[2], [3], [7]]), package: package, sandbox: Sandbox()).get() == [42])
    }
}

/// The receipt test vector of docs/algorithms.md, computed independently with Python's
/// `cryptography` package: any language that reproduces these bytes signs receipts DML accepts.
@Suite struct ReceiptVectorTests {
    @Test func theDocumentedReceiptVectorHolds() async throws {
        let key = try AccountKey(seed: Array(0..<32))
        var receipt = RunReceipt(result: RunResult(outcome: .completed, output: Array("output".utf8), fuelUsed: 12_345, logs: [],
                                                   inputDigest: Hash256.of(Array("input".utf8))),
                                 algorithm: Hash256.of(Array("package".utf8)), nonce: Hash256.of(Array("nonce".utf8)), key: key)
        #expect(Hex.encode(key.account.bytes) == "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8")
        #expect(Hex.encode(receipt.signedBytes) == """
            444d4c2d52554e2d524543454950542d31bc4a71180870f7945155fbb02f4b0a2e3faa2a62d6d31b7039013055ed19869ac96c6d5be8d08a12e7\
            b5cdc1b207fa6b2430974c86803d8891675e76fd992c20e0ee8bb50685e05fa0f47ed04203ae953fdfd055f5bd2892ea186504254f8c3a393000\
            000000000003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b878377b525757b494427f89014f97d79928f3938d14\
            eb51e20fb5dec9834eb304
            """)
        #expect(Hex.encode(receipt.signature) == """
            3a9d28370b684135eac6bc9c5b14590af1a7bbb5157aedcc5fdd839de0b8913e1cf638d9cdc96d1307fe9469da4152605c4630e6afdc0a5c870789\
            c9fe3c890a
            """)
        receipt.fuelUsed += 1
        #expect(!receipt.isSignatureValid)
    }
}
