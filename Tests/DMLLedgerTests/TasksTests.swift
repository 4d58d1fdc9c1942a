import DMLCore
import DMLLedger
import Testing

@Suite struct TasksTests {
    let task = Identifier<WorkTask>(1)
    let first = Identifier<TaskSubmission>(1)
    static let script = StoredArtifact(path: "QmScript", storage: .ipfs, credentials: Array("secret-token".utf8))

    static func draft(kind: TaskKind = .modelContribution(script: script), question: String = "Train on your digits",
                      reward: Amount = dml(5), max: UInt32 = 2, expiresAt: UInt64 = 50,
                      validation: ValidationStrategy = .manualAccept, stake: Amount = .zero) -> WorkTaskDraft {
        WorkTaskDraft(kind: kind, question: question, rewardPerResult: reward, maxAssignments: max, expiresAtHeight: expiresAt,
                      validation: validation, stakePerAssignment: stake)
    }

    func created(_ draft: WorkTaskDraft = draft()) throws -> TestChain {
        var chain = TestChain([(.alice, dml(100)), (.bob, dml(20)), (.carol, dml(20)), (.dave, dml(20))])
        try chain.submit(TasksCall.create(draft).call, as: .alice)
        return chain
    }

    func submission(_ chain: TestChain, _ id: Identifier<TaskSubmission>) -> TaskSubmission? {
        chain.ledger.reading { Tasks.submission(id, in: $0) }
    }

    func stored(_ chain: TestChain) -> WorkTask? { chain.ledger.reading { Tasks.task(task, in: $0) } }

    /// The pallet's `create_task_works`, plus the escrow it never made.
    @Test func creatingATaskEscrowsEveryRewardAndOpensIt() throws {
        var chain = TestChain()
        let events = try chain.submit(TasksCall.create(Self.draft()).call, as: .alice)
        #expect(events == [
            BalancesEvent.escrowed(from: .alice, escrow: Tasks.rewardEscrow(task), amount: dml(10)).event,
            TasksEvent.created(task, creator: .alice, rewardsHeld: dml(10)).event,
        ])
        #expect(stored(chain)?.status == .created)
        #expect(chain.ledger.reading { Tasks.openTasks(offset: 0, limit: 10, in: $0) }.page == [task])
        #expect(chain.ledger.reading { Tasks.tasks(by: .alice, offset: 0, limit: 10, in: $0) }.total == 1)
    }

    /// The attack (issue "Safe among strangers", 8): one account opens near-free tasks that never
    /// expire until the global open-task index is full for everyone. From version 2 a creator
    /// holds at most `openTasksPerCreatorMax` open tasks, each expiring within
    /// `taskLifetimeBlocksMax` blocks; everyone else goes on creating.
    @Test func oneCreatorCannotFreezeTheOpenTaskIndex() throws {
        var chain = TestChain([(.alice, dml(100)), (.bob, dml(20)), (.dave, dml(20))])
        let cheap = Self.draft(reward: Amount(baseUnits: 1), max: 1, expiresAt: 100_000)
        chain.expectRejected(TasksCall.create(Self.draft(expiresAt: .max)).call, as: .dave,
                             .tasks(.taskLifetimeTooLong(expiresAt: .max, max: Tasks.taskLifetimeBlocksMax)))
        for _ in 0..<Tasks.openTasksPerCreatorMax { try chain.submit(TasksCall.create(cheap).call, as: .dave) }
        chain.expectRejected(TasksCall.create(cheap).call, as: .dave,
                             .tasks(.creatorOpenTasksLimitReached(creator: .dave, max: Tasks.openTasksPerCreatorMax)))
        // Honest creators are not affected.
        try chain.submit(TasksCall.create(cheap).call, as: .bob)
        #expect(chain.ledger.reading { Tasks.openTasks(offset: 0, limit: 1, in: $0) }.total == Tasks.openTasksPerCreatorMax + 1)
    }

    /// Version 1 stays as it was, so that blocks applied under it replay to the same state.
    @Test func version1TakesAnyLifetimeAndAnyNumberOfOpenTasks() throws {
        let modules = ChainSpec.latestModules.map { $0.module == .tasks ? ChainSpec.ModuleVersion(.tasks, 1) : $0 }
        var chain = TestChain([(.alice, dml(100)), (.dave, dml(20))], modules: modules)
        let forever = Self.draft(reward: Amount(baseUnits: 1), max: 1, expiresAt: .max)
        for _ in 0...Tasks.openTasksPerCreatorMax { try chain.submit(TasksCall.create(forever).call, as: .dave) }
        #expect(chain.ledger.reading { Tasks.openTasks(offset: 0, limit: 1, in: $0) }.total == Tasks.openTasksPerCreatorMax + 1)
    }

    @Test func createRejectionsFollowTheOriginalsOrder() {
        var chain = TestChain()
        let annotation = TaskKind.dataAnnotation(type: .image, files: [], filesStorage: .ipfs, credentials: nil, mediaSamples: [],
                                                  classLabels: nil, classCoordinates: nil, json: nil)
        chain.expectRejected(TasksCall.create(Self.draft(kind: annotation, question: "", reward: .zero, max: 0, expiresAt: 0)).call, as: .alice,
                             .tasks(.invalidPaysAmount))
        chain.expectRejected(TasksCall.create(Self.draft(kind: annotation, question: "", max: 0, expiresAt: 0)).call, as: .alice,
                             .tasks(.invalidMaxAssignments(0, max: 10_000)))
        chain.expectRejected(TasksCall.create(Self.draft(kind: annotation, question: "", expiresAt: 1)).call, as: .alice,
                             .tasks(.taskEndTooEarly(expiresAt: 1, height: 1)))
        chain.expectRejected(TasksCall.create(Self.draft(kind: annotation, question: "")).call, as: .alice, .tasks(.invalidQuestion))
        chain.expectRejected(TasksCall.create(Self.draft(question: String(repeating: "q", count: 2_049))).call, as: .alice,
                             .tasks(.fieldTooLong(field: "question", bytes: 2_049, max: 2_048)))
        chain.expectRejected(TasksCall.create(Self.draft(kind: annotation)).call, as: .alice, .tasks(.missingAnnotationFiles))
        let tooMany = TaskKind.dataAnnotation(type: .image, files: Array(repeating: "f", count: 101), filesStorage: .s3, credentials: nil,
                                              mediaSamples: [], classLabels: nil, classCoordinates: nil, json: nil)
        chain.expectRejected(TasksCall.create(Self.draft(kind: tooMany)).call, as: .alice,
                             .tasks(.tooManyItems(field: "annotation files", count: 101, max: 100)))
        chain.expectRejected(TasksCall.create(Self.draft(kind: .modelEngineering(model: StoredArtifact(path: "", storage: .gcp)))).call, as: .alice,
                             .tasks(.missingPath(field: "model engineer path")))
        chain.expectRejected(TasksCall.create(Self.draft(kind: .modelContribution(script: StoredArtifact(path: "", storage: .ipfs)))).call, as: .alice,
                             .tasks(.missingPath(field: "model contributor script")))
        chain.expectRejected(TasksCall.create(Self.draft(reward: .max, max: 2)).call, as: .alice, .tasks(.rewardOverflow))
        chain.expectRejected(TasksCall.create(Self.draft(reward: dml(60))).call, as: .alice,
                             .tasks(.balances(.insufficientBalance(account: .alice, needed: dml(120), free: dml(100)))))
    }

    /// The original admitted `max_assignments + 1` workers; here it is exactly the maximum.
    @Test func assignmentStopsExactlyAtTheMaximumAndLeavesTheOpenIndex() throws {
        var chain = try created()
        let events = try chain.submit(TasksCall.assign(task).call, as: .bob)
        #expect(events == [TasksEvent.assigned(task, submission: first, worker: .bob).event, TasksEvent.statusChanged(task, to: .inProgress).event])
        chain.expectRejected(TasksCall.assign(task).call, as: .bob, .tasks(.alreadyAssigned(task, worker: .bob)))
        chain.expectRejected(TasksCall.assign(task).call, as: .alice, .tasks(.creatorCannotWork(task)))
        try chain.submit(TasksCall.assign(task).call, as: .carol)
        chain.expectRejected(TasksCall.assign(task).call, as: .dave, .tasks(.maxAssignmentsReached(task, max: 2)))
        #expect(chain.ledger.reading { Tasks.openTasks(offset: 0, limit: 10, in: $0) }.total == 0)
        #expect(chain.ledger.reading { Tasks.submissions(of: .carol, offset: 0, limit: 10, in: $0) }.page == [Identifier(2)])
        chain.expectRejected(TasksCall.assign(Identifier(9)).call, as: .dave, .tasks(.unknownTask(Identifier(9))))
    }

    @Test func nothingIsAssignedOrSentAfterExpiry() throws {
        var chain = try created(Self.draft(expiresAt: 4))
        try chain.submit(TasksCall.assign(task).call, as: .bob)
        try chain.submit(TransferFiller.call, as: .dave)
        chain.expectRejected(TasksCall.assign(task).call, as: .carol, .tasks(.taskExpired(task, expiredAt: 4)))
        chain.expectRejected(TasksCall.sendResult(task, .inline("0.93")).call, as: .bob, .tasks(.taskExpired(task, expiredAt: 4)))
    }

    /// The pallet's `send_task_result_success`, with the rules it left out.
    @Test func onlyTheAssignedWorkerSendsAValidResultOnce() throws {
        var chain = try created()
        try chain.submit(TasksCall.assign(task).call, as: .bob)
        chain.expectRejected(TasksCall.sendResult(task, .inline("x")).call, as: .carol, .tasks(.unknownSubmission(task, worker: .carol)))
        chain.expectRejected(TasksCall.sendResult(task, .inline("")).call, as: .bob, .tasks(.invalidResultSubmission(reason: "an inline result cannot be empty")))
        chain.expectRejected(TasksCall.sendResult(task, .inline(String(repeating: "r", count: 2_049))).call, as: .bob,
                             .tasks(.invalidResultSubmission(reason: "an inline result is at most 2048 bytes; store larger ones")))
        chain.expectRejected(TasksCall.sendResult(task, .stored(StoredArtifact(path: "", storage: .ipfs))).call, as: .bob,
                             .tasks(.invalidResultSubmission(reason: "a stored result needs a path")))
        let events = try chain.submit(TasksCall.sendResult(task, .stored(StoredArtifact(path: "QmResult", storage: .ipfs))).call, as: .bob)
        #expect(events == [TasksEvent.resultSent(first, worker: .bob).event])
        #expect(submission(chain, first)?.status == .pendingValidation)
        chain.expectRejected(TasksCall.sendResult(task, .inline("again")).call, as: .bob,
                             .tasks(.invalidStatus(first, status: .pendingValidation, expected: .assigned)))
        chain.expectRejected(TasksCall.sendResult(Identifier(7), .inline("x")).call, as: .bob, .tasks(.unknownTask(Identifier(7))))
    }

    @Test func autoAcceptPaysOnSubmissionAndCompletesTheTask() throws {
        var chain = try created(Self.draft(max: 1, validation: .autoAccept, stake: dml(2)))
        try chain.submit(TasksCall.assign(task).call, as: .bob)
        #expect(chain.free(.bob) == dml(18))
        let events = try chain.submit(TasksCall.sendResult(task, .inline("accuracy 0.91")).call, as: .bob)
        #expect(events.contains(TasksEvent.accepted(first, worker: .bob, paid: dml(5)).event))
        #expect(events.last == TasksEvent.statusChanged(task, to: .completed).event)
        #expect(chain.free(.bob) == dml(25))
        #expect(submission(chain, first)?.paidAmount == dml(5))
        #expect(submission(chain, first)?.paidAtHeight == chain.ledger.head.height)
        chain.expectRejected(TasksCall.validate(task, worker: .bob, ValidationVerdict(accept: false)).call, as: .alice, .tasks(.autoAcceptedTask(task)))
        chain.expectRejected(TasksCall.validate(task, worker: .dave, ValidationVerdict(accept: false)).call, as: .alice,
                             .tasks(.unknownSubmission(task, worker: .dave)))
    }

    @Test func manualAcceptLetsOnlyTheCreatorDecideAndARejectionForfeitsTheStake() throws {
        var chain = try created(Self.draft(stake: dml(3)))
        try chain.submit(TasksCall.assign(task).call, as: .bob)
        try chain.submit(TasksCall.assign(task).call, as: .carol)
        try chain.submit(TasksCall.sendResult(task, .inline("good")).call, as: .bob)
        try chain.submit(TasksCall.sendResult(task, .inline("spam")).call, as: .carol)
        chain.expectRejected(TasksCall.validate(task, worker: .bob, ValidationVerdict(accept: true)).call, as: .bob, .tasks(.notAuthorized(first, account: .bob)))
        try chain.submit(TasksCall.validate(task, worker: .bob, ValidationVerdict(accept: true)).call, as: .alice)
        let rejected = try chain.submit(TasksCall.validate(task, worker: .carol, ValidationVerdict(accept: false)).call, as: .alice)
        #expect(rejected.last == TasksEvent.rejected(Identifier(2), worker: .carol, stakeForfeited: dml(3)).event)
        #expect(chain.free(.bob) == dml(25))
        #expect(chain.free(.carol) == dml(17))
        #expect(chain.free(.alice) == dml(93))
        chain.expectRejected(TasksCall.validate(task, worker: .bob, ValidationVerdict(accept: false)).call, as: .alice,
                             .tasks(.invalidStatus(first, status: .accepted, expected: .pendingValidation)))
    }

    @Test func customAcceptTakesOnlyTheValidatorsVerdictWithItsReceipt() throws {
        let validator = ValidationStrategy.customAccept(validator: .dave, algorithm: ContentAddress(digest: Hash256.of([7])))
        var chain = try created(Self.draft(validation: validator))
        try chain.submit(TasksCall.assign(task).call, as: .bob)
        try chain.submit(TasksCall.sendResult(task, .inline("model hash")).call, as: .bob)
        chain.expectRejected(TasksCall.validate(task, worker: .bob, ValidationVerdict(accept: true, inputDigest: .zero, outputDigest: .zero)).call, as: .alice,
                             .tasks(.notAuthorized(first, account: .alice)))
        chain.expectRejected(TasksCall.validate(task, worker: .bob, ValidationVerdict(accept: true)).call, as: .dave, .tasks(.missingReceipt(first)))
        try chain.submit(TasksCall.validate(task, worker: .bob, ValidationVerdict(accept: true, inputDigest: Hash256.of([1]), outputDigest: Hash256.of([2]))).call, as: .dave)
        #expect(submission(chain, first)?.status == .accepted)
    }

    @Test func afterExpiryAbandonedAssignmentsForfeitAndTheCreatorWithdrawsWhatIsNotOwed() throws {
        var chain = try created(Self.draft(max: 3, expiresAt: 6, stake: dml(1)))
        try chain.submit(TasksCall.assign(task).call, as: .bob)        // will abandon
        try chain.submit(TasksCall.assign(task).call, as: .carol)      // will be pending at expiry
        try chain.submit(TasksCall.sendResult(task, .inline("late")).call, as: .carol)
        chain.expectRejected(TasksCall.withdraw(task).call, as: .alice, .tasks(.taskNotExpired(task, expiresAt: 6)))
        chain.expectRejected(TasksCall.settle(task, worker: .bob).call, as: .dave, .tasks(.taskNotExpired(task, expiresAt: 6)))
        try chain.submit(TransferFiller.call, as: .dave)
        let abandoned = try chain.submit(TasksCall.settle(task, worker: .bob).call, as: .dave)
        #expect(abandoned.last == TasksEvent.abandoned(first, worker: .bob, stakeForfeited: dml(1)).event)
        chain.expectRejected(TasksCall.withdraw(task).call, as: .bob, .tasks(.notCreator(task, account: .bob)))
        let withdrawn = try chain.submit(TasksCall.withdraw(task).call, as: .alice)
        #expect(withdrawn.last == TasksEvent.withdrawn(task, amount: dml(10)).event)  // 3 × 5 minus carol's pending 5
        chain.expectRejected(TasksCall.withdraw(task).call, as: .alice, .tasks(.nothingToWithdraw(task)))
        try chain.submit(TasksCall.validate(task, worker: .carol, ValidationVerdict(accept: false)).call, as: .alice)
        let rest = try chain.submit(TasksCall.withdraw(task).call, as: .alice)
        #expect(rest.suffix(2) == [TasksEvent.withdrawn(task, amount: dml(5)).event, TasksEvent.statusChanged(task, to: .withdrawn).event])
        // 100 − 15 escrowed + 10 + 5 withdrawn + 2 forfeited stakes + the filler's base unit.
        #expect(chain.free(.alice) == Amount(baseUnits: 102_000_000_001))
    }

    /// A creator who never judges a result cannot keep the worker's reward and stake.
    @Test func aResultLeftUnjudgedPastTheGracePeriodIsSettledAsAccepted() throws {
        var chain = try created(Self.draft(max: 1, expiresAt: 4, stake: dml(2)))
        try chain.submit(TasksCall.assign(task).call, as: .bob)
        try chain.submit(TasksCall.sendResult(task, .inline("done")).call, as: .bob)
        chain.expectRejected(TasksCall.settle(task, worker: .bob).call, as: .dave,
                             .tasks(.validationNotOverdue(task, untilHeight: 4 + Tasks.validationGraceBlocks)))
        // Empty blocks are taken back, so move the height on with real transactions.
        for _ in 0..<(4 + Tasks.validationGraceBlocks - chain.ledger.head.height - 1) { try chain.submit(TransferFiller.call, as: .dave) }
        let events = try chain.submit(TasksCall.settle(task, worker: .bob).call, as: .dave)
        #expect(events.contains(TasksEvent.accepted(first, worker: .bob, paid: dml(5)).event))
        #expect(chain.free(.bob) == dml(25))
        chain.expectRejected(TasksCall.settle(task, worker: .bob).call, as: .dave,
                             .tasks(.invalidStatus(first, status: .accepted, expected: .assigned)))
    }

    @Test func credentialsAreKeptButNeverPrinted() {
        #expect(!Self.script.description.contains("secret"))
        #expect(Self.script.description.contains("redacted"))
        let call = TasksCall.create(Self.draft())
        #expect(!String(describing: call).contains(String(describing: Array("secret-token".utf8))))
        #expect(String(describing: call).contains("redacted"))
    }
}

/// A harmless transfer, to move the chain one block on.
enum TransferFiller {
    static var call: Call { BalancesCall.transfer(to: .alice, amount: Amount(baseUnits: 1)).call }
}
