import DMLCore
import Foundation
import Testing

/// The `dml` executable, run as a person would run it.
@Suite struct CommandLineTests {
    func dml(_ arguments: String..., data: String) throws -> (status: Int32, output: String, error: String) {
        try runProcess(Fixtures.binary, arguments + ["--data", data])
    }

    @Test func keysAreStoredReadableByTheOwnerOnly() throws {
        let data = Fixtures.temporaryDirectory()
        let created = try dml("keys", "create", "erin", data: data)
        #expect(created.status == 0, "\(created.error)")
        let attributes = try FileManager.default.attributesOfItem(atPath: data + "/keys/erin.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let again = try dml("keys", "create", "erin", data: data)
        #expect(again.status != 0)
        #expect(again.error.contains("already exists"))
        let listed = try dml("keys", "list", data: data)
        #expect(listed.output.contains("erin dml1"))
        #expect(try dml("keys", "create", "../escape", data: data).status != 0)
    }

    @Test func initTransferBalanceBlockAndVerifyWorkTogether() throws {
        let data = Fixtures.temporaryDirectory()
        #expect(try dml("init", data: data).status == 0)
        #expect(try dml("keys", "create", "bob", data: data).status == 0)
        let transfer = try dml("transfer", "--from", "admin", "--to", "bob", "--amount", "12.5", data: data)
        #expect(transfer.status == 0, "\(transfer.error)")
        #expect(transfer.output.contains("included in block 1"))
        let balance = try dml("balance", "bob", data: data)
        #expect(balance.output.contains("free  12.5 DML"))
        let block = try dml("block", "1", data: data)
        #expect(block.output.contains("block 1"))
        #expect(block.output.contains("transfer"))
        let again = try dml("init", data: data)
        #expect(again.status != 0)
        #expect(again.error.contains("already holds chain dml-dev"))
        let verify = try dml("ledger", "verify", data: data)
        #expect(verify.status == 0, "\(verify.error)")
        #expect(verify.output.contains("verified 2 blocks, 1 transactions"))
    }

    @Test func badInputGetsAClearErrorAndAFailingStatus() throws {
        let data = Fixtures.temporaryDirectory()
        #expect(try dml("init", data: data).status == 0)
        let typo = try dml("transfer", "--from", "admin", "--to", "dml1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", "--amount", "1", data: data)
        #expect(typo.status != 0)
        #expect(typo.error.contains("checksum"))
        let amount = try dml("transfer", "--from", "admin", "--to", "admin", "--amount", "1.2.3", data: data)
        #expect(amount.error.contains("is not an amount"))
        let overspend = try dml("transfer", "--from", "admin", "--to", "dml1" + String(AccountKey.insecureDerived(from: "z").account.address.dropFirst(4)),
                                "--amount", "99999999", data: data)
        #expect(overspend.status != 0)
        #expect(overspend.error.contains("free, needs"))
        let missing = try dml("block", "99", data: data)
        #expect(missing.error.contains("no block 99"))
    }

    @Test("dml demo plays the whole marketplace, and again on the same folder; the ledger story still runs")
    func theDemoRunsTwiceCleanly() async throws {
        let data = Fixtures.temporaryDirectory() + "/demo"
        // The second run is shorter (two federated rounds): what it proves is a clean restart.
        for arguments in [["demo", "--data", data], ["demo", "--data", data, "--rounds", "2"]] {
            let run = try await runProcessAsync(Fixtures.binary, arguments)
            #expect(run.status == 0, "\(run.output)\n\(run.error)")
            for line in ["Handwritten digit classifier", "winners picked and paid (status paid)", "auto accept", "manual accept",
                         "custom accept", "and accepted it", "all 10 results accepted and paid", "accuracy by round",
                         "read back byte for byte", "rent settled", "nothing minted, nothing lost", "Done in"] {
                #expect(run.output.contains(line), "missing \(line) in:\n\(run.output)")
            }
            for report in ["job-1-report.html", "federated-1-report.html", "federated-1-model.dmlw"] {
                #expect(FileManager.default.fileExists(atPath: "\(data)/reports/\(report)"), "\(report)")
            }
        }
        let ledger = try await runProcessAsync(Fixtures.binary, ["demo", "--ledger-story", "--data", data + "-ledger"])
        #expect(ledger.status == 0, "\(ledger.error)")
        #expect(ledger.output.contains("invariants: all hold"))
    }
}
