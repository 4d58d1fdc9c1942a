import DMLCore
import DMLLedger
import Testing

@Suite struct JobsTests {
    let job = Identifier<Job>(1)
    let algorithm = Hash256.of(Array("package".utf8))
    let receipt = Hash256.of(Array("receipt".utf8))
    let output = Hash256.of(Array("output".utf8))
    /// The validator is carol (the API server's key, in production).
    static let validator = AccountKey.carol

    /// Two devices at 3 DML each, deadline 10 s after genesis (each block advances 1 s).
    func draft(devices: UInt32 = 2, reward: Amount = dml(3), deadline: UInt64 = 1_700_000_010_000, requirements: String = "") -> JobDraft {
        JobDraft(algorithm: algorithm, artifact: ContentAddress(digest: algorithm), devices: devices, rewardPerDevice: reward, deadline: deadline,
                 validator: Self.validator.account, requirements: requirements)
    }

    func created(_ draft: JobDraft? = nil) throws -> TestChain {
        var chain = TestChain([(.alice, dml(100)), (.bob, dml(1)), (.carol, dml(1)), (.dave, dml(1))])
        try chain.submit(JobsCall.create(draft ?? self.draft()).call, as: .alice)
        return chain
    }

    func stored(_ chain: TestChain) -> Job? { chain.ledger.reading { Jobs.job(job, in: $0) } }

    @Test func creatingAJobEscrowsEveryReward() throws {
        var chain = TestChain()
        let events = try chain.submit(JobsCall.create(draft()).call, as: .alice)
        #expect(events == [
            BalancesEvent.escrowed(from: .alice, escrow: Jobs.rewardEscrow(job), amount: dml(6)).event,
            JobsEvent.created(job, requester: .alice, rewardsHeld: dml(6)).event,
        ])
        #expect(stored(chain)?.status == .open)
        #expect(chain.free(.alice) == dml(94))
        #expect(chain.ledger.reading { Jobs.jobs(by: .alice, in: $0) } == [job])
    }

    @Test func createRejectionsNameWhatIsWrongAndChangeNothing() {
        var chain = TestChain([(.alice, dml(5)), (.bob, dml(1))])
        chain.expectRejected(JobsCall.create(draft(reward: .zero)).call, as: .alice, .jobs(.zeroReward))
        chain.expectRejected(JobsCall.create(draft(devices: 0)).call, as: .alice, .jobs(.invalidDevices(0, max: Jobs.devicesMax)))
        chain.expectRejected(JobsCall.create(draft(devices: Jobs.devicesMax + 1)).call, as: .alice,
                             .jobs(.invalidDevices(Jobs.devicesMax + 1, max: Jobs.devicesMax)))
        chain.expectRejected(JobsCall.create(draft(deadline: 1_000)).call, as: .alice,
                             .jobs(.deadlinePassed(deadline: 1_000, now: chain.clock + 1_000)))
        let long = String(repeating: "r", count: 513)
        chain.expectRejected(JobsCall.create(draft(requirements: long)).call, as: .alice,
                             .jobs(.fieldTooLong(field: "requirements", bytes: 513, max: 512)))
        chain.expectRejected(JobsCall.create(draft(devices: 2, reward: .max)).call, as: .alice, .jobs(.rewardOverflow))
        chain.expectRejected(JobsCall.create(draft()).call, as: .alice,
                             .jobs(.balances(.insufficientBalance(account: .alice, needed: dml(6), free: dml(5)))))
    }

    @Test func theValidatorPaysEachDeviceOnceAndTheLastSlotCompletesTheJob() throws {
        var chain = try created()
        let events = try chain.submit(JobsCall.accept(job, device: .bob, receipt: receipt, output: output).call, as: Self.validator)
        #expect(events == [
            BalancesEvent.released(escrow: Jobs.rewardEscrow(job), to: .bob, amount: dml(3)).event,
            JobsEvent.accepted(job, device: .bob, receipt: receipt, paid: dml(3)).event,
        ])
        #expect(chain.free(.bob) == dml(4))
        #expect(chain.ledger.reading { Jobs.payment(job, device: .bob, in: $0) }?.output == output)
        chain.expectRejected(JobsCall.accept(job, device: .bob, receipt: receipt, output: output).call, as: Self.validator,
                             .jobs(.alreadyPaid(job, device: .bob)))
        chain.expectRejected(JobsCall.accept(job, device: .dave, receipt: receipt, output: output).call, as: .dave,
                             .jobs(.notValidator(job, account: .dave)))
        chain.expectRejected(JobsCall.accept(job, device: .alice, receipt: receipt, output: output).call, as: Self.validator,
                             .jobs(.requesterCannotWork(job)))
        let last = try chain.submit(JobsCall.accept(job, device: .dave, receipt: receipt, output: output).call, as: Self.validator)
        #expect(last.last == JobsEvent.completed(job).event)
        #expect(stored(chain)?.status == .completed)
        #expect(stored(chain)?.rewardsHeld == .zero)
        chain.expectRejected(JobsCall.accept(job, device: .carol, receipt: receipt, output: output).call, as: Self.validator,
                             .jobs(.jobNotOpen(job, status: .completed)))
        #expect(chain.ledger.reading { Jobs.payments(of: job, in: $0) }.count == 2)
    }

    @Test func afterTheDeadlineTheUnpaidRestGoesBackAndTheEscrowEndsAtZero() throws {
        var chain = try created(draft(devices: 3))
        try chain.submit(JobsCall.accept(job, device: .bob, receipt: receipt, output: output).call, as: Self.validator)
        chain.expectRejected(JobsCall.close(job).call, as: .alice, .jobs(.deadlineNotReached(job, deadline: 1_700_000_010_000)))
        chain.expectRejected(JobsCall.close(job).call, as: .dave, .jobs(.notRequesterOrValidator(job, account: .dave)))
        chain.clock = 1_700_000_010_000
        let events = try chain.submit(JobsCall.close(job).call, as: .alice)
        #expect(events.last == JobsEvent.closed(job, refunded: dml(6)).event)
        #expect(chain.free(.alice) == dml(97))
        #expect(chain.ledger.reading { Balances.escrowBalance(Jobs.rewardEscrow(job), in: $0) } == .zero)
        chain.expectRejected(JobsCall.accept(job, device: .dave, receipt: receipt, output: output).call, as: Self.validator,
                             .jobs(.jobNotOpen(job, status: .closed)))
        chain.expectRejected(JobsCall.close(job).call, as: .alice, .jobs(.jobNotOpen(job, status: .closed)))
    }

    @Test func theValidatorRecordsTheReportDigest() throws {
        var chain = try created()
        let digest = Hash256.of(Array("report".utf8))
        chain.expectRejected(JobsCall.recordReport(job, digest).call, as: .alice, .jobs(.notValidator(job, account: .alice)))
        try chain.submit(JobsCall.recordReport(job, digest).call, as: Self.validator)
        #expect(stored(chain)?.report == digest)
        chain.expectRejected(JobsCall.recordReport(Identifier(9), digest).call, as: Self.validator, .jobs(.unknownJob(Identifier(9))))
    }

    @Test func callsAndEventsRoundTripTheirCanonicalBytes() throws {
        let calls: [JobsCall] = [.create(draft(requirements: "ram>=2GB")), .accept(job, device: .bob, receipt: receipt, output: output),
                                 .close(job), .recordReport(job, receipt)]
        for call in calls { #expect(try JobsCall(canonicalBytes: call.canonicalBytes) == call) }
        let events: [JobsEvent] = [.created(job, requester: .alice, rewardsHeld: dml(1)), .accepted(job, device: .bob, receipt: receipt, paid: dml(1)),
                                   .completed(job), .closed(job, refunded: dml(2)), .reportRecorded(job, receipt)]
        for event in events { #expect(try JobsEvent(canonicalBytes: event.canonicalBytes) == event) }
        #expect(throws: DecodingError.self) { try JobsCall(canonicalBytes: [9]) }
    }
}
