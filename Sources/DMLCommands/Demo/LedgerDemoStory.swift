import ArgumentParser
import DMLCore
import DMLLedger
import DMLNode
import DMLStore
import Foundation

/// `dml demo --ledger-story`: the ledger's guarantees on a chain of their own — transfers, refused
/// transactions that change nothing, roles, an upgrade mid-history, a restart from the durable
/// log, and verification from genesis.
struct LedgerDemoStory {
    let location: DatabaseLocation
    let alice = AccountKey.insecureDerived(from: "demo-alice")
    let bob = AccountKey.insecureDerived(from: "demo-bob")
    let carol = AccountKey.insecureDerived(from: "demo-carol")

    func say(_ text: String) { print(text) }

    func play() async throws {
        say("== 1. Genesis: a development chain; Alice is super-admin and holds 1000 DML, Bob 500.")
        say("   Balances starts at logic version 1 (which accepts transfers of zero).")
        let spec = ChainSpec(
            name: "dml-demo", isDevelopment: true, genesisTimestampMilliseconds: LedgerService.wallClockMilliseconds(),
            modules: [.init(.registry, 1), .init(.roles, 1), .init(.balances, 1)],
            allocations: [.init(alice.account, .tokens(1_000)!), .init(bob.account, .tokens(500)!)],
            superAdmins: [alice.account])
        var chain = try await LocalChain.open(location, spec: spec, logger: quietLogger())
        say("   chain \(spec.id.short)…, alice = \(alice.account)")

        say("\n== 2. Alice sends Carol 120 DML.")
        try await expectAccepted(chain, BalancesCall.transfer(to: carol.account, amount: .tokens(120)!).call, as: alice)
        await showBalances(chain)

        say("\n== 3. Bob tries to send 900 DML; he has 500. Refused, and nothing changes.")
        let rootBefore = await chain.service.head.stateRoot
        await expectRejected(chain, BalancesCall.transfer(to: carol.account, amount: .tokens(900)!).call, as: bob)
        say("   state root unchanged: \(await chain.service.head.stateRoot == rootBefore)")

        say("\n== 4. Someone replays Alice's transfer (same nonce, same signature). Refused.")
        let replay = await chain.service.ledger.nextNonce(of: alice.account) - 1
        let replayed = SignedTransaction(chain: spec.id, key: alice, nonce: replay,
                                         call: BalancesCall.transfer(to: carol.account, amount: .tokens(120)!).call)
        report(await chain.service.submit(replayed))

        say("\n== 5. A mistyped address is caught by its checksum before anything is signed.")
        var typo = Array(carol.account.address)
        typo[20] = typo[20] == "q" ? "p" : "q"
        do { _ = try AccountID(address: String(typo)) } catch { say("   \(error)") }

        say("\n== 6. Roles: Alice makes Bob a moderator; Bob tries to make himself super-admin. Refused.")
        try await expectAccepted(chain, RolesCall.grant(.moderator, to: bob.account).call, as: alice)
        await expectRejected(chain, RolesCall.grant(.superAdmin, to: bob.account).call, as: bob)

        say("\n== 7. The faucet mints test DML for Carol (development chains only).")
        try await expectAccepted(chain, BalancesCall.faucet(amount: .tokens(50)!).call, as: carol)

        say("\n== 8. Upgrade mid-history: Balances v2 refuses zero transfers, from two blocks ahead.")
        try await expectAccepted(chain, BalancesCall.transfer(to: bob.account, amount: .zero).call, as: carol, note: "zero transfer under v1")
        let upgradeHeight = await chain.service.head.height + 2
        try await expectAccepted(chain, RegistryCall.scheduleUpgrade(module: .balances, version: 2, fromHeight: upgradeHeight).call, as: alice)
        try await expectAccepted(chain, BalancesCall.transfer(to: carol.account, amount: .tokens(1)!).call, as: bob)
        await expectRejected(chain, BalancesCall.transfer(to: bob.account, amount: .zero).call, as: carol)

        say("\n== 9. Restart: close everything and rebuild the ledger from the durable log.")
        let before = await chain.service.head
        await chain.close()
        chain = try await LocalChain.open(location, logger: quietLogger())
        let after = await chain.service.head
        say("   before: height \(before.height) root \(before.stateRoot.short)   after: height \(after.height) root \(after.stateRoot.short)")
        guard before == after else { throw CommandFailure("restart reached a different state") }

        say("\n== 10. Verify: re-execute every block from genesis (old blocks under v1, new under v2).")
        let ledger = await chain.service.ledger
        await chain.close()
        let log = try await BlockLog.open(location, logger: quietLogger())
        let report = try await ChainVerifier.verify(log: log)
        await log.close()
        say("   \(report.blocks) blocks, \(report.transactions) transactions verified; head root \(report.head.stateRoot.short)")
        say("   total issuance \(ledger.totalIssuance); invariants: \(report.invariantViolations.isEmpty ? "all hold" : report.invariantViolations.joined(separator: "; "))")
        guard report.head == after, report.invariantViolations.isEmpty else { throw CommandFailure("verification disagrees") }
    }

    func expectAccepted(_ chain: LocalChain, _ call: Call, as key: AccountKey, note: String? = nil) async throws {
        let outcome = await chain.submit(call, as: key)
        report(outcome, note: note)
        guard case .success = outcome else { throw CommandFailure("the demo expected acceptance") }
    }

    func expectRejected(_ chain: LocalChain, _ call: Call, as key: AccountKey) async {
        report(await chain.submit(call, as: key))
    }

    func report(_ outcome: LedgerService.Outcome, note: String? = nil) {
        switch outcome {
        case .success(let inclusion):
            let events = inclusion.events.map { BlockFormatter.describe(EventRecord(phase: .transaction(UInt32(inclusion.index)), event: $0)) }
            say("   ✓ block \(inclusion.height)\(note.map { " (\($0))" } ?? ""): " + events.joined(separator: ", "))
        case .failure(let error):
            say("   ✗ \(error)")
        }
    }

    func showBalances(_ chain: LocalChain) async {
        let ledger = await chain.service.ledger
        for (name, key) in [("alice", alice), ("bob", bob), ("carol", carol)] {
            say("   \(name): \(ledger.balance(of: key.account).free)")
        }
    }
}
