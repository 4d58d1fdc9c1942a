import DMLCore
import DMLLedger
import DMLSandbox
@testable import DMLServer
import Foundation
import Testing

/// The example algorithms of `examples/algorithms`, built from C by its own script once per run.
enum ExampleAlgorithms {
    /// One build per test process, awaited by every caller (not a `static let`: its initializer
    /// would hold a thread of the cooperative pool, and every other caller's, for the whole build).
    private actor Build {
        private var running: Task<String, any Error>?

        func folder() async throws -> String {
            if running == nil {
                running = Task {
                    let result = try await runProcess("/bin/bash", [Fixtures.packageRoot + "/examples/algorithms/build.sh"])
                    guard result.status == 0 else { throw WorkerError("build.sh failed: \(result.error)") }
                    return Fixtures.packageRoot + "/examples/algorithms/build/packages"
                }
            }
            return try await running!.value
        }
    }

    private static let build = Build()

    static func package(_ name: String) async throws -> AlgorithmPackage {
        try AlgorithmPackage.pack(folder: URL(fileURLWithPath: try await build.folder()).appendingPathComponent(name))
    }

    /// The digits dataset as CSV rows (64 pixels, then the label).
    static func digitsRows() async throws -> [String] {
        let gz = Fixtures.packageRoot + "/examples/algorithms/digits/data/digits.csv.gz"
        let result = try await runProcess("/bin/sh", ["-c", "gzip -dc '\(gz)'"])
        return result.output.split(separator: "\n").map(String.init)
    }

    static func breastCancerRows() throws -> [[Float]] {
        let text = try String(contentsOfFile: Fixtures.packageRoot + "/examples/algorithms/column-stats/data/breast_cancer.csv", encoding: .utf8)
        return try InputCodec.rows(csv: text, dropColumns: 1).rows
    }
}

struct WorkerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Caller {
    /// A self-custody device signed in by its key (challenge, then key login).
    func device(_ key: AccountKey) async throws -> String {
        let challenge = try await post("/v1/users/challenge", ["account": key.account.address])
        let message = try #require(challenge.string("message")), nonce = try #require(challenge.string("nonce"))
        let session = try await post("/v1/users/key-login", ["account": key.account.address, "nonce": nonce,
                                                              "signature": Hex.encode(key.sign(Array(message.utf8)))])
        return try #require(session.string("accessToken"))
    }

    /// Publishes `package` as a marketplace algorithm by `developer`, approved by `moderator`.
    func publish(_ package: AlgorithmPackage, developer: String, moderator: String) async throws -> Int {
        let uploaded = try await upload("/v1/algorithms/artifacts", package.bytes, length: package.bytes.count, token: developer)
        let cid = try #require(uploaded.json["cid"] as? String)
        let created = try await post("/v1/algorithms", ["title": package.manifest.name, "description": "example", "tags": ["example"],
                                                        "price": "1000", "deviceFee": "0", "artifact": cid], token: developer)
        let id = try #require(created.json["id"] as? Int)
        #expect(try await post("/v1/algorithms/\(id)/review", ["decision": "approve"], token: moderator).status == .ok)
        return id
    }
}

func jsonObject(_ value: some Encodable) throws -> Any {
    try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
}
