import DMLCore
import Foundation
import Testing

/// The `dml` executable, run as a person would run it.
@Suite struct CommandLineTests {
    func dml(_ arguments: String..., data: String) async throws -> (status: Int32, output: String, error: String) {
        try await runProcess(Fixtures.binary, arguments + ["--data", data])
    }

    @Test func keysAreStoredReadableByTheOwnerOnly() async throws {
        let data = Fixtures.temporaryDirectory()
        let created = try await dml("keys", "create", "erin", data: data)
        #expect(created.status == 0, "\(created.error)")
        let attributes = try FileManager.default.attributesOfItem(atPath: data + "/keys/erin.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let again = try await dml("keys", "create", "erin", data: data)
        #expect(again.status != 0)
        #expect(again.error.contains("already exists"))
        let listed = try await dml("keys", "list", data: data)
        #expect(listed.output.contains("erin dml1"))
        #expect(try await dml("keys", "create", "../escape", data: data).status != 0)
    }

    @Test func initTransferBalanceBlockAndVerifyWorkTogether() async throws {
        let data = Fixtures.temporaryDirectory()
        #expect(try await dml("init", data: data).status == 0)
        #expect(try await dml("keys", "create", "bob", data: data).status == 0)
        let transfer = try await dml("transfer", "--from", "admin", "--to", "bob", "--amount", "12.5", data: data)
        #expect(transfer.status == 0, "\(transfer.error)")
        #expect(transfer.output.contains("included in block 1"))
        let balance = try await dml("balance", "bob", data: data)
        #expect(balance.output.contains("free  12.5 DML"))
        let block = try await dml("block", "1", data: data)
        #expect(block.output.contains("block 1"))
        #expect(block.output.contains("transfer"))
        let again = try await dml("init", data: data)
        #expect(again.status != 0)
        #expect(again.error.contains("already holds chain dml-dev"))
        let verify = try await dml("ledger", "verify", data: data)
        #expect(verify.status == 0, "\(verify.error)")
        #expect(verify.output.contains("verified 2 blocks, 1 transactions"))
    }

    @Test func badInputGetsAClearErrorAndAFailingStatus() async throws {
        let data = Fixtures.temporaryDirectory()
        #expect(try await dml("init", data: data).status == 0)
        let typo = try await dml("transfer", "--from", "admin", "--to", "dml1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", "--amount", "1", data: data)
        #expect(typo.status != 0)
        #expect(typo.error.contains("checksum"))
        let amount = try await dml("transfer", "--from", "admin", "--to", "admin", "--amount", "1.2.3", data: data)
        #expect(amount.error.contains("is not an amount"))
        let overspend = try await dml("transfer", "--from", "admin", "--to", "dml1" + String(AccountKey.insecureDerived(from: "z").account.address.dropFirst(4)),
                                "--amount", "99999999", data: data)
        #expect(overspend.status != 0)
        #expect(overspend.error.contains("free, needs"))
        let missing = try await dml("block", "99", data: data)
        #expect(missing.error.contains("no block 99"))
    }

    @Test("a backup restores into an empty folder, verified from genesis; damaged, truncated or misplaced restores change nothing")
    func backupAndRestore() async throws {
        let data = Fixtures.temporaryDirectory(), copy = Fixtures.temporaryDirectory() + "/restored"
        #expect(try await dml("init", data: data).status == 0)
        #expect(try await dml("keys", "create", "bob", data: data).status == 0)
        for amount in ["1", "2.5", "3"] {
            #expect(try await dml("transfer", "--from", "admin", "--to", "bob", "--amount", amount, data: data).status == 0)
        }
        let file = data + "/chain.dmlbackup"
        let backup = try await dml("ledger", "backup", "--out", file, data: data)
        #expect(backup.status == 0, "\(backup.error)")
        #expect(backup.output.contains("backed up 4 blocks"))
        let restored = try await dml("ledger", "restore", "--from", file, data: copy)
        #expect(restored.status == 0, "\(restored.error)")
        #expect(restored.output.contains("restored and verified 4 blocks, 3 transactions"))
        // Keys are not in a backup (they are kept apart): Bob is found by his address.
        let bob = try #require(try await dml("keys", "list", data: data).output.split(separator: "\n")
            .first { $0.hasPrefix("bob ") }?.split(separator: " ").last.map(String.init))
        #expect(try await dml("balance", bob, data: copy).output.contains("free  6.5 DML"))
        let original = try await dml("ledger", "verify", data: data).output, again = try await dml("ledger", "verify", data: copy).output
        #expect(original.split(separator: "\n").dropFirst().first == again.split(separator: "\n").dropFirst().first, "same head and root")

        // Into a folder that already holds a chain: refused.
        let occupied = try await dml("ledger", "restore", "--from", file, data: data)
        #expect(occupied.status != 0 && occupied.error.contains("already holds a chain"))
        // One flipped byte, or a cut file: refused before anything is written.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: file + ".flipped"))
        try Data(bytes.prefix(bytes.count - 7)).write(to: URL(fileURLWithPath: file + ".cut"))
        for (damaged, folder) in [(file + ".flipped", "f"), (file + ".cut", "c")] {
            let target = Fixtures.temporaryDirectory() + "/" + folder
            let refused = try await dml("ledger", "restore", "--from", damaged, data: target)
            #expect(refused.status != 0 && refused.error.contains("seal does not match"), "\(refused.error)")
            let genesis = try await dml("block", "0", data: target)
            #expect(genesis.status != 0, "nothing restored: \(genesis.output)")
        }
        let notBackup = try await dml("ledger", "restore", "--from", data + "/keys/bob.key", data: Fixtures.temporaryDirectory())
        #expect(notBackup.status != 0 && notBackup.error.contains("not a DML backup"))
    }

    @Test("dml demo plays the whole marketplace, and again on the same folder; the ledger story still runs")
    func theDemoRunsTwiceCleanly() async throws {
        let data = Fixtures.temporaryDirectory() + "/demo"
        // The second run is shorter (two federated rounds): what it proves is a clean restart.
        for arguments in [["demo", "--data", data], ["demo", "--data", data, "--rounds", "2"]] {
            let run = try await runProcess(Fixtures.binary, arguments)
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
        let ledger = try await runProcess(Fixtures.binary, ["demo", "--ledger-story", "--data", data + "-ledger"])
        #expect(ledger.status == 0, "\(ledger.error)")
        #expect(ledger.output.contains("invariants: all hold"))
    }
}
