import DMLCore
import DMLNode
import Foundation
import Testing

@Suite struct SimulationTests {
    static let environment = ProcessInfo.processInfo.environment

    /// `DML_SIM_SEED` / `DML_SIM_STEPS` reproduce a reported failure; otherwise a few fixed seeds.
    static var seeds: [UInt64] { environment["DML_SIM_SEED"].flatMap(UInt64.init).map { [$0] } ?? [1, 2, 3] }
    static var steps: Int { environment["DML_SIM_STEPS"].flatMap(Int.init) ?? 120 }

    @Test(arguments: seeds)
    func theLedgerAgreesWithTheReferenceModelThroughRestarts(_ seed: UInt64) async throws {
        let result = try await Simulation(.init(seed: seed, steps: Self.steps), directory: Fixtures.temporaryDirectory()).run()
        #expect(result.accepted > 0)
        #expect(result.rejected > 0)
        #expect(result.restarts > 0)
    }

    @Test func theSameSeedGivesTheSameRootInTwoProcesses() async throws {
        var runs: [(status: Int32, output: String, error: String)] = []
        for _ in 0..<2 {
            runs.append(try await runProcess(Fixtures.binary, ["ledger", "simulate", "--seed", "42", "--steps", "40"]))
        }
        for run in runs { #expect(run.status == 0, "\(run.error)") }
        let roots = runs.map { $0.output.split(separator: "\n").first { $0.hasPrefix("final state root") } }
        #expect(roots[0] != nil)
        #expect(roots[0] == roots[1])
        let other = try await runProcess(Fixtures.binary, ["ledger", "simulate", "--seed", "43", "--steps", "40"])
        #expect(other.output.split(separator: "\n").first { $0.hasPrefix("final state root") } != roots[0])
    }

    @Test func aFailureSaysHowToReproduceIt() {
        let failure = Simulation.Failure(step: 3, problem: "x", reproduction: Simulation.Configuration(seed: 99, steps: 7).reproduction)
        #expect(failure.description.contains("--seed 99 --steps 7"))
        #expect(failure.description.contains("DML_SIM_SEED=99"))
    }
}
