import DMLCore
import DMLLedger
import DMLStore
import Foundation

/// A seeded simulation of many accounts doing valid and invalid things through the real
/// sequencer and a real SQLite log, with restarts at random points. A naive reference model
/// predicts every outcome; balances, issuance and invariants are compared after every block,
/// and the state root after every restart. The same seed gives the same final state root in
/// any process.
public struct Simulation {
    public struct Configuration: Sendable {
        public var seed: UInt64
        public var steps: Int
        public var accounts = 24
        public var transactionsPerStepMax = 40
        /// Chance (per mille) of a restart after a step.
        public var restartPerMille = 60
        public var snapshotIntervalBlocks = 7

        public init(seed: UInt64, steps: Int) {
            self.seed = seed
            self.steps = steps
        }

        /// How to run this exact simulation again.
        public var reproduction: String {
            "reproduce with: swift run dml ledger simulate --seed \(seed) --steps \(steps)"
                + " (or DML_SIM_SEED=\(seed) DML_SIM_STEPS=\(steps) swift test --filter Simulation)"
        }
    }

    public struct Result: Sendable {
        public let finalRoot: Hash256
        public let height: UInt64
        public let accepted: Int
        public let rejected: Int
        public let restarts: Int
    }

    public struct Failure: Error, CustomStringConvertible {
        public let step: Int
        public let problem: String
        public let reproduction: String
        public var description: String { "simulation failed at step \(step): \(problem)\n\(reproduction)" }

        public init(step: Int, problem: String, reproduction: String) {
            self.step = step
            self.problem = problem
            self.reproduction = reproduction
        }
    }

    let configuration: Configuration
    let directory: String

    /// `directory` will hold the simulation's SQLite log (it is created, and must be empty).
    public init(_ configuration: Configuration, directory: String) {
        self.configuration = configuration
        self.directory = directory
    }

    public func run() async throws -> Result {
        var random = SeededGenerator(seed: configuration.seed)
        let keys = (0..<configuration.accounts).map { AccountKey.insecureDerived(from: "sim-\($0)") }
        let spec = ChainSpec(
            name: "dml-sim", isDevelopment: true, genesisTimestampMilliseconds: 1_700_000_000_000,
            allocations: keys.enumerated().map { index, key in
                ChainSpec.Allocation(key.account, Amount(baseUnits: index == 1 ? UInt64.max / 2
                    : UInt64.random(in: 0...5_000_000, using: &random) + ((2...5).contains(index) ? 1_000_000 : 0)))  // 2–5 fund the setup
            },
            superAdmins: [keys[0].account], faucetAmountMax: Amount(baseUnits: 1_000_000))
        var model = ReferenceModel(spec: spec)
        let clock = ManualClock(startMilliseconds: spec.genesisTimestampMilliseconds)
        var service = LedgerService.Configuration()
        service.blockIntervalMilliseconds = 0
        service.snapshotIntervalBlocks = configuration.snapshotIntervalBlocks
        let location = DatabaseLocation.sqlite(path: directory + "/ledger.sqlite")
        var chain = try await LocalChain.open(location, spec: spec, configuration: service, clock: clock.function)
        var history: [SignedTransaction] = []
        var accepted = 0, rejected = 0, restarts = 0
        // Every failure below ends the run: the chain is closed on that path too (its log and
        // sequencer would otherwise outlive the run).
        do {
            // Setup: one object of each marketplace module, so the random steps can use them.
            let setup: [SimulatedAction] = [
                .publishAlgorithm(creator: keys[2].account, price: 40_000), .approveAlgorithm(by: keys[0].account),
                .openHub(issuer: keys[3].account, feePercent: 10), .fundHub(by: keys[3].account, amount: 300_000),
                .createTask(creator: keys[4].account, reward: 1_000, max: 12),
                .createBounty(owner: keys[5].account, prize: 100_000), .openBounty(by: keys[5].account),
            ]
            var setupBatch: [SignedTransaction] = []
            for action in setup {
                setupBatch.append(sign(action, keys: keys, model: model, chain: chain.service.chainID, random: &random))
                guard model.predict(action) == nil else { throw failure(0, "the model refuses its own setup action \(action)") }
            }
            for (index, outcome) in (await chain.service.submit(batch: setupBatch)).enumerated() {
                guard case .success = outcome else { throw failure(0, "setup action \(setup[index]) failed: \(outcome)") }
            }

            for step in 0..<configuration.steps {
                clock.advance(byMilliseconds: UInt64.random(in: 1...5_000, using: &random))
                var batch: [SignedTransaction] = []
                var expectations: [(String?, SimulatedAction)] = []
                for _ in 0..<Int.random(in: 1...configuration.transactionsPerStepMax, using: &random) {
                    let action = makeAction(keys: keys, model: model, history: history, random: &random)
                    let transaction = sign(action, keys: keys, model: model, chain: chain.service.chainID, random: &random)
                    expectations.append((model.predict(action), action))
                    batch.append(transaction)
                }
                let outcomes = await chain.service.submit(batch: batch)
                for (index, outcome) in outcomes.enumerated() {
                    let (expected, action) = expectations[index]
                    switch outcome {
                    case .success:
                        guard expected == nil else { throw failure(step, "\(action) was accepted; the model expected \(expected!)") }
                        accepted += 1
                        history.append(batch[index])
                    case .failure(.rejected(let error)):
                        guard expected == error.code else {
                            throw failure(step, "\(action) was rejected with \(error.code) (\(error)); the model expected \(expected ?? "acceptance")")
                        }
                        rejected += 1
                    case .failure(let error):
                        throw failure(step, "\(action) failed outside the ledger: \(error)")
                    }
                }
                try await compare(chain.service.ledger, with: model, keys: keys, step: step)

                if Int.random(in: 0..<1000, using: &random) < configuration.restartPerMille {
                    let before = await chain.service.ledger
                    await chain.close()
                    chain = try await LocalChain.open(location, configuration: service, clock: clock.function)
                    let after = await chain.service.ledger
                    guard after == before else {
                        throw failure(step, "restart reached root \(after.head.stateRoot.short) at \(after.head.height), before it was \(before.head.stateRoot.short) at \(before.head.height)")
                    }
                    restarts += 1
                }
            }
        } catch {
            await chain.close()
            throw error
        }
        let ledger = await chain.service.ledger
        await chain.close()
        return Result(finalRoot: ledger.head.stateRoot, height: ledger.head.height, accepted: accepted, rejected: rejected, restarts: restarts)
    }

    private func failure(_ step: Int, _ problem: String) -> Failure {
        Failure(step: step, problem: problem, reproduction: configuration.reproduction)
    }

    private func compare(_ ledger: Ledger, with model: ReferenceModel, keys: [AccountKey], step: Int) async throws {
        let violations = ledger.invariantViolations()
        guard violations.isEmpty else { throw failure(step, "invariants broken: \(violations.joined(separator: "; "))") }
        guard ledger.totalIssuance.baseUnits == model.issuance else {
            throw failure(step, "issuance is \(ledger.totalIssuance.baseUnits), the model says \(model.issuance)")
        }
        let escrows: [(String, EscrowID, UInt64)] = [
            ("algorithm proceeds", Marketplace.escrow(Identifier(1)), model.algorithm?.proceeds ?? 0),
            ("voucher hub", Vouchers.escrow(Identifier(1)), model.hub?.balance ?? 0),
            ("task rewards", Tasks.rewardEscrow(Identifier(1)), model.task?.held ?? 0),
            ("bounty prizes", Bounties.escrow(Identifier(1)), model.bounty?.funded ?? 0),
        ]
        for (name, escrow, expected) in escrows {
            let held = ledger.reading { Balances.escrowBalance(escrow, in: $0) }.baseUnits
            guard held == expected else { throw failure(step, "the \(name) escrow holds \(held), the model says \(expected)") }
        }
        for key in keys {
            let free = ledger.balance(of: key.account).free.baseUnits
            guard free == model.free[key.account] ?? 0 else {
                throw failure(step, "\(key.account) holds \(free), the model says \(model.free[key.account] ?? 0)")
            }
            guard ledger.nextNonce(of: key.account) == model.nonce(key.account) else {
                throw failure(step, "\(key.account) nonce is \(ledger.nextNonce(of: key.account)), the model says \(model.nonce(key.account))")
            }
        }
    }

    private func makeAction(keys: [AccountKey], model: ReferenceModel, history: [SignedTransaction],
                            random: inout SeededGenerator) -> SimulatedAction {
        let signer = keys.randomElement(using: &random)!.account
        let other = keys.randomElement(using: &random)!.account
        switch Int.random(in: 0..<130, using: &random) {
        case 100..<108: return .purchase(buyer: signer)
        case 108..<111: return .withdrawProceeds(by: signer)
        case 111..<119:
            let last = model.hub?.lastNonces[other] ?? 0
            let nonce = [last + 1, last + 1, last + 2, last].randomElement(using: &random)!
            let forger = Int.random(in: 0..<5, using: &random) == 0
            return .redeem(recipient: other, amount: UInt64.random(in: 0...60_000, using: &random), nonce: nonce,
                           signer: forger ? signer : keys[3].account)
        case 119..<124: return .assignTask(worker: signer)
        case 124..<127: return .sendTaskResult(worker: signer)
        case 127..<130: return .enrollBounty(participant: signer)
        case 0..<45:
            let free = model.free[signer] ?? 0
            let amount = free == 0 ? UInt64.random(in: 0...10, using: &random) : UInt64.random(in: 0...(free / 4 * 5), using: &random)
            return .transfer(from: signer, to: other, amount: amount)
        case 45..<48: return .transfer(from: signer, to: other, amount: .max)
        case 48..<52: return .transfer(from: keys[1].account, to: other, amount: UInt64.max / 2)
        case 52..<58: return .faucet(signer, amount: UInt64.random(in: 0...1_500_000, using: &random))
        case 58..<64: return .grantModerator(by: signer, to: other)
        case 64..<68: return .revokeModerator(by: signer, from: other)
        case 68..<74: return .badSignature(signer)
        case 74..<78: return .wrongChain(signer)
        case 78..<86: return history.isEmpty ? .futureNonce(signer, skip: 1) : .replay(history.randomElement(using: &random)!)
        case 86..<90: return .futureNonce(signer, skip: UInt64.random(in: 1...3, using: &random))
        case 90..<94: return .unknownModule(signer)
        case 94..<97: return .unknownCallTag(signer)
        default: return .truncatedCall(signer)
        }
    }

    private func sign(_ action: SimulatedAction, keys: [AccountKey], model: ReferenceModel, chain: Hash256,
                      random: inout SeededGenerator) -> SignedTransaction {
        func key(_ account: AccountID) -> AccountKey { keys.first { $0.account == account }! }
        func signed(_ account: AccountID, _ call: Call, nonceOffset: UInt64 = 0, chainID: Hash256? = nil) -> SignedTransaction {
            SignedTransaction(chain: chainID ?? chain, key: key(account), nonce: model.nonce(account) + nonceOffset, call: call)
        }
        switch action {
        case let .transfer(from, to, amount): return signed(from, BalancesCall.transfer(to: to, amount: Amount(baseUnits: amount)).call)
        case let .faucet(account, amount): return signed(account, BalancesCall.faucet(amount: Amount(baseUnits: amount)).call)
        case let .grantModerator(by, to): return signed(by, RolesCall.grant(.moderator, to: to).call)
        case let .revokeModerator(by, from): return signed(by, RolesCall.revoke(.moderator, from: from).call)
        case .badSignature(let account):
            let good = signed(account, BalancesCall.faucet(amount: Amount(baseUnits: 1)).call)
            var signature = good.signature
            signature[Int.random(in: 0..<signature.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            return SignedTransaction(payload: good.payload, signature: signature)
        case .wrongChain(let account):
            return signed(account, BalancesCall.faucet(amount: Amount(baseUnits: 1)).call, chainID: Hash256.of(Array("other".utf8)))
        case .replay(let transaction): return transaction
        case let .futureNonce(account, skip): return signed(account, BalancesCall.faucet(amount: Amount(baseUnits: 1)).call, nonceOffset: skip)
        case .unknownModule(let account): return signed(account, Call(module: ModuleID(999), body: [0]))
        case .unknownCallTag(let account): return signed(account, Call(module: .balances, body: [9]))
        case .truncatedCall(let account): return signed(account, Call(module: .balances, body: [0, 1, 2, 3]))
        case let .publishAlgorithm(creator, price):
            return signed(creator, MarketplaceCall.publish(AlgorithmDraft(
                title: "sim", description: "", dataRequired: "", tags: [], price: Amount(baseUnits: price), deviceFee: .zero,
                artifact: ContentAddress(digest: Hash256.of([1])))).call)
        case .approveAlgorithm(let by): return signed(by, MarketplaceCall.approve(Identifier(1)).call)
        case .purchase(let buyer): return signed(buyer, MarketplaceCall.purchase(Identifier(1), maxPrice: .max).call)
        case .withdrawProceeds(let by): return signed(by, MarketplaceCall.withdrawProceeds(Identifier(1)).call)
        case let .openHub(issuer, fee): return signed(issuer, VouchersCall.openHub(feePercent: UInt8(fee)).call)
        case let .fundHub(by, amount): return signed(by, VouchersCall.fund(hub: Identifier(1), amount: Amount(baseUnits: amount)).call)
        case let .redeem(recipient, amount, nonce, signer):
            let voucher = Voucher(hub: Identifier(1), recipient: recipient, amount: Amount(baseUnits: amount), nonce: nonce)
            return signed(recipient, VouchersCall.redeem(voucher, signature: voucher.signed(by: key(signer), chain: chain)).call)
        case let .createTask(creator, reward, max):
            return signed(creator, TasksCall.create(WorkTaskDraft(
                kind: .modelEngineering(model: StoredArtifact(path: "QmModel", storage: .ipfs)), question: "improve it",
                rewardPerResult: Amount(baseUnits: reward), maxAssignments: UInt32(max), expiresAtHeight: 900_000,
                validation: .autoAccept)).call)
        case .assignTask(let worker): return signed(worker, TasksCall.assign(Identifier(1)).call)
        case .sendTaskResult(let worker): return signed(worker, TasksCall.sendResult(Identifier(1), .inline("result")).call)
        case let .createBounty(owner, prize):
            return signed(owner, BountiesCall.create(BountyDraft(
                title: "sim bounty", description: "", prizes: [Amount(baseUnits: prize)], enrollmentEnd: 4_000_000_000_000,
                submissionEnd: 4_000_000_000_001, evaluationDeadline: 4_000_000_000_002, expiryRule: .refundOwner), fund: true).call)
        case .openBounty(let by): return signed(by, BountiesCall.openEnrollment(Identifier(1)).call)
        case .enrollBounty(let participant): return signed(participant, BountiesCall.enroll(Identifier(1)).call)
        }
    }
}
