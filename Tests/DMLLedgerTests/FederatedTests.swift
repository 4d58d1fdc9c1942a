import DMLCore
import DMLLedger
import Testing

@Suite struct FederatedTests {
    let job = Identifier<FederatedJob>(1)
    let plan = Hash256.of(Array("plan".utf8))
    let model = Hash256.of(Array("model".utf8))
    let digits = DatasetName("clinic/digits")!
    /// The coordinator is carol (the API server's key, in production).
    static let validator = AccountKey.carol

    /// 2 rounds × 2 devices at 1 DML each, deadline 10 s after genesis (each block advances 1 s).
    func draft(rounds: UInt32 = 2, devices: UInt32 = 2, reward: Amount = dml(1), deadline: UInt64 = 1_700_000_010_000,
               dataset: DatasetName? = nil, epsilonMicros: UInt64 = 0) -> FederatedDraft {
        FederatedDraft(plan: plan, rounds: rounds, devicesPerRound: devices, rewardPerDevicePerRound: reward, deadline: deadline,
                       validator: Self.validator.account, dataset: dataset, epsilonMicros: epsilonMicros,
                       deltaPicos: epsilonMicros > 0 ? 10_000_000 : 0)
    }

    func created(_ draft: FederatedDraft? = nil) throws -> TestChain {
        var chain = TestChain([(.alice, dml(100)), (.bob, dml(1)), (.carol, dml(1)), (.dave, dml(1))])
        try chain.submit(FederatedCall.create(draft ?? self.draft()).call, as: .alice)
        return chain
    }

    func stored(_ chain: TestChain) -> FederatedJob? { chain.ledger.reading { Federated.job(job, in: $0) } }

    @Test func creatingAJobEscrowsEveryRoundsRewards() throws {
        var chain = TestChain()
        let events = try chain.submit(FederatedCall.create(draft(rounds: 3, devices: 2)).call, as: .alice)
        #expect(events == [
            BalancesEvent.escrowed(from: .alice, escrow: Federated.rewardEscrow(job), amount: dml(6)).event,
            FederatedEvent.created(job, requester: .alice, rewardsHeld: dml(6)).event,
        ])
        #expect(chain.free(.alice) == dml(94))
        #expect(stored(chain)?.status == .open)
        chain.checkInvariants()
    }

    @Test func createRejectionsNameWhatIsWrongAndChangeNothing() {
        var chain = TestChain([(.alice, dml(3)), (.bob, dml(1))])
        chain.expectRejected(FederatedCall.create(draft(reward: .zero)).call, as: .alice, .federated(.zeroReward))
        chain.expectRejected(FederatedCall.create(draft(rounds: 0)).call, as: .alice, .federated(.invalidRounds(0, max: Federated.roundsMax)))
        chain.expectRejected(FederatedCall.create(draft(devices: 1_001)).call, as: .alice,
                             .federated(.invalidDevicesPerRound(1_001, max: Federated.devicesPerRoundMax)))
        chain.expectRejected(FederatedCall.create(draft(deadline: 5)).call, as: .alice,
                             .federated(.deadlinePassed(deadline: 5, now: chain.clock + 1_000)))
        chain.expectRejected(FederatedCall.create(draft(reward: .max)).call, as: .alice, .federated(.rewardOverflow))
        chain.expectRejected(FederatedCall.create(draft(epsilonMicros: 1_000_000)).call, as: .alice, .federated(.privacyWithoutDataset))
        chain.expectRejected(FederatedCall.create(draft(dataset: digits, epsilonMicros: 1)).call, as: .alice,
                             .federated(.privacy(.unknownDataset(digits))))
        chain.expectRejected(FederatedCall.create(draft()).call, as: .alice,
                             .federated(.balances(.insufficientBalance(account: .alice, needed: dml(4), free: dml(3)))))
        chain.checkInvariants()
    }

    @Test func eachRoundPaysItsDevicesAndRecordsTheModel() throws {
        var chain = try created()
        let record = { (round: UInt32, devices: [AccountID]) in FederatedCall.recordRound(job, round: round, model: model, devices: devices).call }
        chain.expectRejected(record(1, [.bob]), as: .alice, .federated(.notValidator(job, account: .alice)))
        chain.expectRejected(record(2, [.bob]), as: Self.validator, .federated(.wrongRound(job, expected: 1, got: 2)))
        chain.expectRejected(record(1, []), as: Self.validator, .federated(.noDevices(job)))
        chain.expectRejected(record(1, [.bob, .dave, .carol]), as: Self.validator, .federated(.tooManyDevices(job, count: 3, max: 2)))
        chain.expectRejected(record(1, [.bob, .bob]), as: Self.validator, .federated(.duplicateDevice(job, device: .bob)))
        chain.expectRejected(record(1, [.alice]), as: Self.validator, .federated(.requesterCannotTrain(job)))
        let events = try chain.submit(record(1, [.dave, .bob]), as: Self.validator)
        #expect(events.last == FederatedEvent.roundRecorded(job, round: 1, model: model, devices: 2, paid: dml(2)).event)
        #expect(chain.free(.bob) == dml(2))
        #expect(chain.ledger.reading { Federated.round(job, 1, in: $0) }?.devices == [AccountID.bob, .dave].sorted())
        // A round with fewer devices than invited pays only those; the rest is refunded at the end.
        try chain.submit(record(2, [.bob]), as: Self.validator)
        chain.expectRejected(record(3, [.bob]), as: Self.validator, .federated(.wrongRound(job, expected: 3, got: 3)))
        let done = try chain.submit(FederatedCall.complete(job, model: model).call, as: Self.validator)
        #expect(done.last == FederatedEvent.completed(job, model: model, refunded: dml(1)).event)
        #expect(chain.free(.alice) == dml(97))
        #expect(stored(chain)?.finalModel == model)
        #expect(stored(chain)?.paidCount == 3)
        chain.expectRejected(record(3, [.bob]), as: Self.validator, .federated(.jobNotOpen(job, status: .completed)))
        chain.checkInvariants()
    }

    @Test func completingNeedsARoundAndClosingNeedsTheDeadline() throws {
        var chain = try created()
        chain.expectRejected(FederatedCall.complete(job, model: model).call, as: Self.validator, .federated(.noRounds(job)))
        chain.expectRejected(FederatedCall.close(job).call, as: .alice, .federated(.deadlineNotReached(job, deadline: 1_700_000_010_000)))
        chain.expectRejected(FederatedCall.close(job).call, as: .dave, .federated(.notRequesterOrValidator(job, account: .dave)))
        chain.clock = 1_700_000_010_000
        let events = try chain.submit(FederatedCall.close(job).call, as: .alice)
        #expect(events.last == FederatedEvent.closed(job, refunded: dml(4)).event)
        #expect(chain.free(.alice) == dml(100))
        #expect(chain.ledger.reading { Balances.escrowBalance(Federated.rewardEscrow(job), in: $0) } == .zero)
        chain.expectRejected(FederatedCall.complete(job, model: model).call, as: Self.validator, .federated(.jobNotOpen(job, status: .closed)))
        chain.checkInvariants()
    }

    @Test func aJobThatWouldExceedItsDatasetsBudgetIsRefusedBeforeItStarts() throws {
        var chain = TestChain([(.alice, dml(100)), (.bob, dml(100))])
        try chain.submit(PrivacyCall.setBudget(digits, epsilonMicros: 10_000_000, deltaPicosMax: 10_000_000).call, as: .bob)
        let spent = try chain.submit(FederatedCall.create(draft(dataset: digits, epsilonMicros: 8_000_000)).call, as: .alice)
        #expect(spent.contains(PrivacyEvent.spent(digits, by: .federatedJob(1), epsilonMicros: 8_000_000, remainingMicros: 2_000_000).event))
        // 8 of 10 spent: another job at ε = 8 would exceed it; nothing is escrowed for it.
        chain.expectRejected(FederatedCall.create(draft(dataset: digits, epsilonMicros: 8_000_000)).call, as: .alice,
                             .federated(.privacy(.budgetExceeded(digits, requestedMicros: 8_000_000, remainingMicros: 2_000_000))))
        var tooLoose = draft(dataset: digits, epsilonMicros: 1_000_000)
        tooLoose.deltaPicos = 10_000_001
        chain.expectRejected(FederatedCall.create(tooLoose).call, as: .alice,
                             .federated(.privacy(.deltaTooLarge(digits, deltaPicos: 10_000_001, max: 10_000_000))))
        // Only the owner changes the budget, never below what is spent.
        chain.expectRejected(PrivacyCall.setBudget(digits, epsilonMicros: 20_000_000, deltaPicosMax: 1).call, as: .alice,
                             .privacy(.notOwner(digits, owner: .bob)))
        chain.expectRejected(PrivacyCall.setBudget(digits, epsilonMicros: 7_000_000, deltaPicosMax: 10_000_000).call, as: .bob,
                             .privacy(.belowSpent(digits, epsilonMicros: 7_000_000, spentMicros: 8_000_000)))
        try chain.submit(PrivacyCall.setBudget(digits, epsilonMicros: 16_000_000, deltaPicosMax: 10_000_000).call, as: .bob)
        try chain.submit(FederatedCall.create(draft(dataset: digits, epsilonMicros: 8_000_000)).call, as: .alice)
        #expect(chain.ledger.reading { Privacy.budget(digits, in: $0) }?.spentMicros == 16_000_000)
        #expect(chain.ledger.reading { Privacy.spends(of: digits, in: $0) }.count == 2)
        chain.checkInvariants()
    }

    @Test func datasetNamesAreChecked() {
        #expect(DatasetName("") == nil)
        #expect(DatasetName("Upper") == nil)
        #expect(DatasetName(String(repeating: "a", count: 65)) == nil)
        #expect(DatasetName("hospital-a/ecg_2024.v1") != nil)
        #expect(throws: DecodingError.self) { try DatasetName(canonicalBytes: ByteWriter().bytes + [3, 0, 0, 0] + Array("A B".utf8)) }
    }

    @Test func callsAndEventsRoundTripTheirCanonicalBytes() throws {
        let calls: [FederatedCall] = [.create(draft(dataset: digits, epsilonMicros: 5)), .recordRound(job, round: 1, model: model, devices: [.bob]),
                                      .complete(job, model: model), .close(job)]
        for call in calls { #expect(try FederatedCall(canonicalBytes: call.canonicalBytes) == call) }
        let events: [FederatedEvent] = [.created(job, requester: .alice, rewardsHeld: dml(1)),
                                        .roundRecorded(job, round: 1, model: model, devices: 2, paid: dml(2)),
                                        .completed(job, model: model, refunded: dml(1)), .closed(job, refunded: dml(2))]
        for event in events { #expect(try FederatedEvent(canonicalBytes: event.canonicalBytes) == event) }
        let privacy: [PrivacyCall] = [.setBudget(digits, epsilonMicros: 1, deltaPicosMax: 2)]
        for call in privacy { #expect(try PrivacyCall(canonicalBytes: call.canonicalBytes) == call) }
        #expect(throws: DecodingError.self) { try FederatedCall(canonicalBytes: [9]) }
        #expect(PrivacyError.format(8_000_001) == "8.000001")
    }
}
