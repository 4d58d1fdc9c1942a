import ArgumentParser
import DMLCore
import DMLLedger
import DMLNode
import DMLStore
import Foundation

/// `dml api-bench`: the API under `wrk` on loopback. A throwaway chain with 100 bounties and
/// one funded account per signed transfer, one `dml serve` process, then `wrk` on four
/// routes: the bare health route, a page of 100 bounties, one bounty, and signed transfers
/// (each request a different transaction, so every one is verified, applied and committed).
struct APIBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-bench",
        abstract: "Benchmark the HTTP API with wrk: health, a bounty page of 100, one bounty, signed transfers.",
        discussion: "Build with -c release first (swift build -c release); wrk comes from scripts/tools.sh wrk.")

    @Option(help: "Seconds per route.") var seconds = 10
    @Option(help: "Open connections.") var connections = 64
    @Option(help: "wrk threads.") var threads = 2
    @Option(help: "Pre-signed transfers (one funded account each; at most 99 000).") var transfers = 90_000
    @Option(help: "The wrk executable.") var wrk = "/usr/bin/wrk"
    @Option(help: "The server's --block-interval-ms.") var blockIntervalMs = 5

    func run() async throws {
        guard FileManager.default.isExecutableFile(atPath: wrk) else { throw CommandFailure("no wrk at \(wrk): run scripts/tools.sh wrk") }
        guard (1...99_000).contains(transfers) else { throw CommandFailure("--transfers must be 1…99000") }
        print(machineDescription())
        let folder = NSTemporaryDirectory() + "dml-api-bench-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }

        print("preparing: \(transfers) funded accounts, their signed transfers, 100 bounties …")
        let bodies = try await prepareChain(in: folder)
        let transfersFile = folder + "/transfers.txt"
        try bodies.joined(separator: "\n").write(toFile: transfersFile, atomically: true, encoding: .utf8)
        let script = folder + "/transfers.lua"
        try transferScript(file: transfersFile).write(toFile: script, atomically: true, encoding: .utf8)

        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "DATABASE_URL")
        environment["DML_LOG_LEVEL"] = "warning"
        let server = try await ServeProcess(
            executable: URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath().path, data: folder,
            arguments: ["--rate-limit", "0", "--bcrypt-cost", "4", "--block-interval-ms", String(blockIntervalMs)], environment: environment)
        // Stopped and waited for on every path, before the folder it writes in is removed.
        do {
            let base = "http://127.0.0.1:\(server.port)"
            print("server: \(base) (release build, rate limits off, logs at warning, blocks cut after ≤ \(blockIntervalMs) ms); wrk -t\(threads) -c\(connections) -d\(seconds)s\n")
            var results: [(name: String, result: WrkResult)] = []
            for (name, path, lua) in [("GET /health", "/health", nil), ("GET /v1/bounties?limit=100", "/v1/bounties?limit=100", nil),
                                      ("GET /v1/bounties/1", "/v1/bounties/1", nil),
                                      ("POST /v1/ledger/transactions", "/v1/ledger/transactions", script)] as [(String, String, String?)] {
                let result = try await runWrk(url: base + path, script: lua)
                results.append((name, result))
                print("  \(name): \(result.summary)")
            }
            let bare = results[0].result.successesPerSecond
            print("\n| route | requests/s (2xx) | p50 | p99 | non-2xx | ratio to /health |")
            print("|---|---:|---:|---:|---:|---:|")
            for (name, result) in results {
                print("| \(name) | \(Int(result.successesPerSecond)) | \(result.p50) | \(result.p99) | \(result.non2xx) | \(String(format: "%.2f", result.successesPerSecond / bare)) |")
            }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// Creates the chain in `folder`: transfer senders funded at genesis, 100 bounties posted.
    /// Returns one JSON body per transfer.
    func prepareChain(in folder: String) async throws -> [String] {
        let owner = AccountKey.insecureDerived(from: "api-bench-owner")
        let senders = (0..<transfers).map { AccountKey.insecureDerived(from: "api-bench-\($0)") }
        let spec = ChainSpec(name: "dml-api-bench", isDevelopment: true, genesisTimestampMilliseconds: LedgerService.wallClockMilliseconds(),
                             allocations: [.init(owner.account, .tokens(1_000_000)!)] + senders.map { .init($0.account, .tokens(10)!) },
                             superAdmins: [owner.account])
        let chain = try await LocalChain.open(.sqlite(path: folder + "/ledger.sqlite"), spec: spec, logger: quietLogger())
        let now = LedgerService.wallClockMilliseconds()
        for index in 0..<100 {
            let draft = BountyDraft(title: "Bounty \(index): label images", description: "A benchmark bounty with a plain description.",
                                    prizes: [.tokens(UInt64(100 + index))!], enrollmentEnd: now + 86_400_000,
                                    submissionEnd: now + 2 * 86_400_000, evaluationDeadline: now + 3 * 86_400_000, expiryRule: .refundOwner)
            _ = try await chain.submit(BountiesCall.create(draft, fund: true).call, as: owner).get()
        }
        await chain.close(snapshot: true)
        let recipient = owner.account, chainID = spec.id
        return senders.map { key in
            let transaction = SignedTransaction(chain: chainID, key: key, nonce: 0, call: BalancesCall.transfer(to: recipient, amount: .tokens(1)!).call)
            return #"{"transaction":"\#(Hex.encode(transaction.canonicalBytes))"}"#
        }
    }

    /// Each wrk thread takes every n-th line, so no transaction is sent twice.
    func transferScript(file: String) -> String {
        """
        local counter = 0
        function setup(thread)
          thread:set("id", counter)
          counter = counter + 1
        end
        function init(args)
          bodies = {}
          local index = 0
          for line in io.lines("\(file)") do
            if index % \(threads) == id then bodies[#bodies + 1] = line end
            index = index + 1
          end
          next_body = 1
        end
        function request()
          local body = bodies[next_body]
          if next_body < #bodies then next_body = next_body + 1 end
          return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
        end
        """
    }

    struct WrkResult {
        var requestsPerSecond = 0.0
        var requests = 0
        var non2xx = 0
        var seconds = 0.0
        var p50 = "?"
        var p99 = "?"

        var successesPerSecond: Double { seconds > 0 ? Double(requests - non2xx) / seconds : requestsPerSecond }
        var summary: String { "\(Int(successesPerSecond)) req/s (2xx), p50 \(p50), p99 \(p99), non-2xx \(non2xx)" }
    }

    func runWrk(url: String, script: String?) async throws -> WrkResult {
        var arguments = ["-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency"]
        if let script { arguments += ["-s", script] }
        let (status, output, error) = try await runCommand(wrk, arguments + [url])
        guard status == 0 else { throw CommandFailure("wrk failed: \(error)\(output)") }
        var result = WrkResult()
        for line in output.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("Requests/sec:"), let value = words.last.flatMap({ Double($0) }) { result.requestsPerSecond = value }
            if line.hasPrefix("Non-2xx or 3xx responses:"), let value = words.last.flatMap({ Int($0) }) { result.non2xx = value }
            if line.hasPrefix("50%") { result.p50 = String(words.last ?? "?") }
            if line.hasPrefix("99%") { result.p99 = String(words.last ?? "?") }
            // "123456 requests in 10.00s, 12.34MB read"
            if words.count >= 4, words[1] == "requests", words[2] == "in", let count = Int(words[0]) {
                result.requests = count
                result.seconds = Double(words[3].trimmingCharacters(in: CharacterSet(charactersIn: "s,"))) ?? 0
            }
        }
        return result
    }
}

