import DMLCore
import DMLLedger
import DMLNode
import DMLSandbox
@testable import DMLServer
import DMLSystem
import DMLWorker
import Foundation
import Testing

/// Real `dml worker` processes on loopback against a live server.
@Suite("Jobs: worker processes on loopback", .serialized)
struct JobsLiveTests {
    /// A device child process (`dml worker` or `dml fl worker`) whose key lives in `folder`;
    /// its output lines are collected.
    final class WorkerProcess: Sendable {
        let child: ChildProcess
        let folder: String

        /// A `dml worker` for algorithm jobs.
        convenience init(port: Int, folder: String, input: String, arguments: [String] = []) throws {
            try self.init(folder: folder, command: ["worker", "--server", "http://127.0.0.1:\(port)", "--data", folder, "--input", input,
                                                    "--drop-columns", "1", "--wait", "2"] + arguments)
        }

        /// `dml` with the given arguments.
        init(folder: String, command: [String]) throws {
            self.folder = folder
            child = try ChildProcess(executable: Fixtures.binary, arguments: command)
        }

        var output: String { child.output }

        func account() throws -> AccountID { try Worker.deviceKey(in: URL(fileURLWithPath: folder)).account }

        /// The exit status; a worker still running after `seconds` (a generous bound: a hung
        /// test fails instead of hanging the suite) is killed and answers nil.
        func wait(seconds: Double) async -> Int32? {
            if let exit = await child.exit(within: .seconds(seconds)) { return exit.status }
            await child.killAndWait()
            return nil
        }

        func waitFor(_ text: String, seconds: Double) async -> Bool {
            await child.waitForOutput(containing: text, within: .seconds(seconds))
        }

        /// A worker the test no longer holds cannot outlive it, on any path.
        deinit { child.kill() }
    }

    final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value: (String, Int)?
        func set(_ new: (String, Int)) { lock.withLock { value = new } }
        func get() -> (String, Int)? { lock.withLock { value } }
    }


    /// Sets up a requester with an approved algorithm and a job; returns the requester's token and the job id.
    static func job(_ world: APIWorld, package: AlgorithmPackage, devices: Int,
                    deadlineMilliseconds: UInt64 = LedgerService.wallClockMilliseconds() + 600_000) async throws -> (token: String, job: Int) {
        let result = ResultBox()
        try await world.test { api in
            let requester = try await api.user("requester@example.org"), moderator = try await api.user("moderator@example.org")
            try await world.asAdmin(RolesCall.grant(.moderator, to: try AccountID(address: moderator.account)).call)
            try await world.give(100, to: requester.account)
            let algorithm = try await api.publish(package, developer: requester.token, moderator: moderator.token)
            let created = try await api.post("/v1/jobs", ["algorithm": algorithm, "devices": devices, "rewardPerDevice": "1000000000",
                                                          "deadlineMilliseconds": deadlineMilliseconds],
                                             token: requester.token)
            result.set((requester.token, try #require(created.json["id"] as? Int)))
        }
        return try #require(result.get())
    }

    static func report(port: Int, job: Int, token: String, format: String = "json") async throws -> Data {
        let client = DeviceClient(server: URL(string: "http://127.0.0.1:\(port)")!, key: AccountKey())
        client.useToken(token)
        return try await client.send("GET", "/v1/jobs/\(job)/report?format=\(format)")
    }

    @Test("a digits job split across 20 worker processes: every device paid once, counts equal one process over the whole dataset")
    func digitsAcrossTwentyWorkers() async throws {
        let package = try await ExampleAlgorithms.package("digits")
        let rows = try await ExampleAlgorithms.digitsRows()
        // The reference: the same classifier over the whole dataset in one process.
        let whole = try InputCodec.rows(csv: rows.joined(separator: "\n"), dropColumns: 1)
        let reference = await InProcessRunner().run(package, input: InputCodec.matrix(whole.rows, columns: whole.columns))
        #expect(reference.outcome == .completed)
        let expected = OutputCodec.vector(reference.output)
        #expect(expected.reduce(0, +) == Double(rows.count))

        let devices = 20
        // Leases outlast any slow machine: this test is not about expiry.
        guard let world = try await APIWorld.make(.sqlite, configure: { $0.jobChallengeRate = 0.5; $0.jobLeaseSeconds = 3_600 }) else { return }
        let root = Fixtures.temporaryDirectory()
        do {
            let (token, job) = try await Self.job(world, package: package, devices: devices)
            try await world.live { port in
                var workers: [WorkerProcess] = []
                for index in 0..<devices {
                    // Device k holds every 20th image, starting at k; its labels stay in the file but are dropped.
                    let input = "\(root)/device-\(index).csv"
                    try rows.enumerated().filter { $0.offset % devices == index }.map(\.element).joined(separator: "\n")
                        .write(toFile: input, atomically: true, encoding: .utf8)
                    workers.append(try WorkerProcess(port: port, folder: "\(root)/device-\(index)", input: input,
                                                   // In-process runs: twenty devices without twenty more
                                                   // child processes on a 2-core machine running other suites.
                                                   arguments: ["--max-jobs", "1", "--in-process"]))
                }
                for worker in workers {
                    let status = await worker.wait(seconds: 240)
                    #expect(status == 0, "worker: \(worker.output)")
                    #expect(worker.output.contains("result accepted"), "worker: \(worker.output)")
                }
                let report = try JSONSerialization.jsonObject(with: try await Self.report(port: port, job: job, token: token)) as? [String: Any]
                #expect(report?["aggregate"] as? [Double] == expected)
                #expect(report?["results"] as? Int == devices)
                #expect((report?["payments"] as? [[String: Any]])?.count == devices)
                let html = String(decoding: try await Self.report(port: port, job: job, token: token, format: "html"), as: UTF8.self)
                #expect(html.contains("<svg") && html.contains("Predicted digits"))
                let csv = String(decoding: try await Self.report(port: port, job: job, token: token, format: "csv"), as: UTF8.self)
                #expect(csv.split(separator: "\n").count == 11)
                // The command line writes the same report to a file.
                let file = "\(root)/report.csv"
                let command = try await runProcess(Fixtures.binary, ["job", "report", "--server", "http://127.0.0.1:\(port)", "--job", "\(job)",
                                                                         "--token", token, "--format", "csv", "--out", file])
                #expect(command.status == 0, "\(command)")
                #expect(try String(contentsOfFile: file, encoding: .utf8) == csv)
                let accounts = try workers.map { try $0.account() }
                let (paid, held, status) = await world.chain.service.reading { state in
                    (accounts.map { Balances.balance(of: $0, in: state).free },
                     Balances.escrowBalance(Jobs.rewardEscrow(Identifier(UInt64(job))), in: state),
                     Jobs.job(Identifier(UInt64(job)), in: state)?.status)
                }
                #expect(paid.allSatisfy { $0 == .tokens(1)! })
                #expect(held == .zero && status == .completed)
            }
        } catch {
            await world.close()
            throw error
        }
        await world.close()
    }

    @Test("a worker killed mid-run loses its lease after the timeout; another device does the work and is paid")
    func killedWorkerIsReplaced() async throws {
        let package = try await ExampleAlgorithms.package("digits")
        let rows = try await ExampleAlgorithms.digitsRows()
        // The server's clock is moved past the dead worker's lease instead of waiting for it; the
        // lease is long enough that the replacement never loses its own on a slow machine.
        let clock = SkewedClock()
        guard let world = try await APIWorld.make(.sqlite, configure: { $0.jobLeaseSeconds = 600; $0.jobChallengeRate = 0 },
                                                  now: clock.function) else { return }
        let root = Fixtures.temporaryDirectory()
        do {
            let (_, job) = try await Self.job(world, package: package, devices: 1,
                                              deadlineMilliseconds: LedgerService.wallClockMilliseconds() + 7_200_000)
            let input = "\(root)/all.csv"
            try rows.joined(separator: "\n").write(toFile: input, atomically: true, encoding: .utf8)
            try await world.live { port in
                // The whole dataset takes the first worker a few seconds in a debug build: killed while it runs.
                let doomed = try WorkerProcess(port: port, folder: "\(root)/doomed", input: input)
                #expect(await doomed.waitFor("leased job \(job)", seconds: 60), "worker: \(doomed.output)")
                await doomed.child.killAndWait()
                let leased = try await world.server.jobs.board.liveLeases(job: UInt64(job), now: world.server.now())
                #expect(leased == 1)
                clock.jump(byMilliseconds: 601_000)

                let small = "\(root)/small.csv"
                try rows.prefix(60).joined(separator: "\n").write(toFile: small, atomically: true, encoding: .utf8)
                let replacement = try WorkerProcess(port: port, folder: "\(root)/replacement", input: small, arguments: ["--max-jobs", "1"])
                #expect(await replacement.wait(seconds: 240) == 0, "worker: \(replacement.output)")
                #expect(replacement.output.contains("result accepted"), "worker: \(replacement.output)")
                let doomedAccount = try doomed.account(), replacementAccount = try replacement.account()
                let (doomedBalance, replacementBalance, status) = await world.chain.service.reading { state in
                    (Balances.balance(of: doomedAccount, in: state).free, Balances.balance(of: replacementAccount, in: state).free,
                     Jobs.job(Identifier(UInt64(job)), in: state)?.status)
                }
                #expect(doomedBalance == .zero && replacementBalance == .tokens(1)! && status == .completed)
            }
        } catch {
            await world.close()
            throw error
        }
        await world.close()
    }
}
