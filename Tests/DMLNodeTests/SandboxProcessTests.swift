import DMLCore
import DMLSandbox
import Foundation
import Testing

/// The sandbox in a child process (`dml sandbox-exec`): the wall-clock bound, and the same
/// results as in-process; and the `dml algo` commands an author uses.
@Suite("Sandbox in a child process", .serialized)
struct SandboxProcessTests {
    /// `(module (memory (export "memory") 1) (func (export "run") (result i32) (loop (br 0)) (i32.const 0)))`
    static let spinning: [UInt8] = [
        0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
        0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7F,
        0x03, 0x02, 0x01, 0x00,
        0x05, 0x03, 0x01, 0x00, 0x01,
        0x07, 0x10, 0x02, 0x06, 0x6D, 0x65, 0x6D, 0x6F, 0x72, 0x79, 0x02, 0x00, 0x03, 0x72, 0x75, 0x6E, 0x00, 0x00,
        0x0A, 0x0B, 0x01, 0x09, 0x00, 0x03, 0x40, 0x0C, 0x00, 0x0B, 0x41, 0x00, 0x0B,
    ]

    var child: ChildProcessSandbox { ChildProcessSandbox(executable: URL(fileURLWithPath: Fixtures.binary)) }

    @Test func aSpinningModuleIsKilledAtItsWallClockBound() async throws {
        let manifest = AlgorithmManifest(name: "spin", version: "1", module: "spin.wasm", input: .init(format: .bytes),
                                         output: .init(fields: ["x"]),
                                         limits: .init(fuel: ManifestLimits.fuelMax, memoryPages: 1, outputBytes: 8, wallClockMilliseconds: 400),
                                         aggregation: .sum)
        let package = try AlgorithmPackage(manifest: manifest, modules: ["spin.wasm": Self.spinning])
        let result = await child.run(package, input: [])
        #expect(result.outcome == .wallClockExceeded(milliseconds: 400))
        // In-process, fuel ends the same module.
        var fuelBound = manifest
        fuelBound.limits = .init(fuel: 200_000, memoryPages: 1, outputBytes: 8)
        let inProcess = await InProcessRunner().run(try AlgorithmPackage(manifest: fuelBound, modules: ["spin.wasm": Self.spinning]), input: [])
        #expect(inProcess.outcome == .outOfFuel(limit: 200_000))
    }

    @Test func aChildProcessRunEqualsTheInProcessRunBitForBit() async throws {
        let package = try await ExampleAlgorithms.package("column-stats")
        let input = InputCodec.matrix(Array(try ExampleAlgorithms.breastCancerRows().prefix(50)), columns: 30)
        let inProcess = await InProcessRunner().run(package, input: input)
        let viaChild = await child.run(package, input: input)
        #expect(inProcess.outcome == .completed)
        #expect(viaChild == inProcess)
        // A child that cannot start is a typed outcome, not a crash.
        let missing = await ChildProcessSandbox(executable: URL(fileURLWithPath: "/nonexistent/dml")).run(package, input: input)
        if case .crashed = missing.outcome {} else { Issue.record("missing executable: \(missing.outcome)") }
    }

    @Test func anAuthorPacksAndRunsAnAlgorithmFromTheCommandLine() async throws {
        _ = try await ExampleAlgorithms.package("column-stats")
        let folder = Fixtures.packageRoot + "/examples/algorithms/build/packages/column-stats"
        let out = Fixtures.temporaryDirectory() + "/column-stats.dmlpkg.json"
        let packed = try await runProcess(Fixtures.binary, ["algo", "pack", folder, "--out", out])
        #expect(packed.status == 0 && packed.output.contains("packed column-stats"), "\(packed)")
        let data = Fixtures.packageRoot + "/examples/algorithms/column-stats/data/breast_cancer.csv"
        let run = try await runProcess(Fixtures.binary, ["algo", "run", out, "--input", data, "--drop-columns", "1"])
        #expect(run.status == 0 && run.output.contains("completed") && run.output.contains("c0.count\t569.0"), "\(run)")
        let json = try await runProcess(Fixtures.binary, ["algo", "run", out, "--input", data, "--drop-columns", "1", "--json", "--child"])
        let document = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        #expect((document?["result"] as? [String: Any])?["outcome"] as? String == "completed")
        #expect((document?["receipt"] as? [String: Any])?["signature"] != nil)
        // A wrong column count is refused before any guest code runs, and exits non-zero.
        let wrong = try await runProcess(Fixtures.binary, ["algo", "run", out, "--input", data])
        #expect(wrong.status == 2 && wrong.output.contains("31 columns"), "\(wrong)")
    }
}
