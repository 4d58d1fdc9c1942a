import DMLCore
import DMLLedger
import Testing

@Suite struct BountiesTests {
    let bounty = Identifier<Bounty>(1)
    static let artifact = ContentAddress(digest: Hash256.of(Array("submission".utf8)))
    static let start: UInt64 = 1_700_000_000_000
    static let hour: UInt64 = 3_600_000

    static func draft(prizes: [Amount] = [dml(30), dml(20)], rule: BountyDraft.ExpiryRule = .refundOwner,
                      enrollmentEnd: UInt64 = start + 10 * hour, submissionEnd: UInt64 = start + 20 * hour,
                      deadline: UInt64 = start + 30 * hour) -> BountyDraft {
        BountyDraft(title: "Best digit classifier", description: "Highest accuracy on the hidden set", prizes: prizes,
                    enrollmentEnd: enrollmentEnd, submissionEnd: submissionEnd, evaluationDeadline: deadline, expiryRule: rule)
    }

    /// Alice posts and funds bounty 1 (prizes 30 + 20); Dave is a moderator.
    func posted(rule: BountyDraft.ExpiryRule = .refundOwner, fund: Bool = true) throws -> TestChain {
        var chain = TestChain([(.alice, dml(100)), (.bob, dml(98)), (.carol, dml(10))])
        try chain.submit(RolesCall.grant(.moderator, to: .dave).call, as: .alice)
        try chain.submit(BountiesCall.create(Self.draft(rule: rule), fund: fund).call, as: .alice)
        return chain
    }

    /// Bob and Carol enrolled, both submitted, submissions closed by hand.
    func readyToAward(rule: BountyDraft.ExpiryRule = .refundOwner) throws -> TestChain {
        var chain = try posted(rule: rule)
        try chain.submit(BountiesCall.openEnrollment(bounty).call, as: .alice)
        try chain.submit(BountiesCall.enroll(bounty).call, as: .bob)
        try chain.submit(BountiesCall.enroll(bounty).call, as: .carol)
        try chain.submit(BountiesCall.closeEnrollment(bounty).call, as: .alice)
        try chain.submit(BountiesCall.openSubmissions(bounty).call, as: .alice)
        try chain.submit(BountiesCall.submit(bounty, artifact: Self.artifact, note: "bob's model").call, as: .bob)
        try chain.submit(BountiesCall.submit(bounty, artifact: Self.artifact, note: "carol's model").call, as: .carol)
        try chain.submit(BountiesCall.closeSubmissions(bounty).call, as: .alice)
        return chain
    }

    func stored(_ chain: TestChain) -> Bounty? { chain.ledger.reading { Bounties.bounty(bounty, in: $0) } }
    func escrow(_ chain: TestChain) -> Amount { chain.ledger.reading { Balances.escrowBalance(Bounties.escrow(bounty), in: $0) } }

    @Test func creatingWithFundingEscrowsThePrizePool() throws {
        var chain = TestChain()
        let events = try chain.submit(BountiesCall.create(Self.draft(), fund: true).call, as: .alice)
        #expect(events == [
            BalancesEvent.escrowed(from: .alice, escrow: Bounties.escrow(bounty), amount: dml(50)).event,
            BountiesEvent.posted(bounty, owner: .alice, total: dml(50)).event,
            BountiesEvent.funded(bounty, amount: dml(50), total: dml(50)).event,
        ])
        #expect(chain.free(.alice) == dml(50))
        #expect(escrow(chain) == dml(50))
        #expect(stored(chain)?.status == .pending)
    }

    @Test func createRejectionsComeInTheDocumentedOrder() {
        var chain = TestChain()
        var draft = Self.draft(prizes: [], enrollmentEnd: 0)
        draft.title = ""
        chain.expectRejected(BountiesCall.create(draft, fund: true).call, as: .alice, .bounties(.titleEmpty))
        draft.title = String(repeating: "t", count: 201)
        chain.expectRejected(BountiesCall.create(draft, fund: true).call, as: .alice, .bounties(.fieldTooLong(field: "title", bytes: 201, max: 200)))
        draft.title = "ok"
        chain.expectRejected(BountiesCall.create(draft, fund: true).call, as: .alice, .bounties(.noPrizes))
        draft.prizes = Array(repeating: dml(1), count: 33)
        chain.expectRejected(BountiesCall.create(draft, fund: true).call, as: .alice, .bounties(.tooManyPrizes(count: 33, max: 32)))
        draft.prizes = [dml(1), .zero]
        chain.expectRejected(BountiesCall.create(draft, fund: true).call, as: .alice, .bounties(.prizeZero(rank: 1)))
        draft.prizes = [.max, dml(1)]
        chain.expectRejected(BountiesCall.create(draft, fund: true).call, as: .alice, .bounties(.prizesOverflow))
        draft.prizes = [dml(500)]
        draft.submissionEnd = Self.start
        draft.enrollmentEnd = Self.start + 1
        chain.expectRejected(BountiesCall.create(draft, fund: true).call, as: .alice, .bounties(.datesOutOfOrder))
        draft.enrollmentEnd = 5
        chain.expectRejected(BountiesCall.create(draft, fund: true).call, as: .alice,
                             .bounties(.enrollmentEndPassed(end: 5, now: chain.clock + 1_000)))
        chain.expectRejected(BountiesCall.create(Self.draft(prizes: [dml(500)]), fund: true).call, as: .alice,
                             .bounties(.balances(.insufficientBalance(account: .alice, needed: dml(500), free: dml(100)))))
    }

    @Test func aBountyOpensOnlyWhenFullyFundedAndNeverOverfunded() throws {
        var chain = try posted(fund: false)
        chain.expectRejected(BountiesCall.openEnrollment(bounty).call, as: .alice, .bounties(.notFullyFunded(bounty, funded: .zero, total: dml(50))))
        try chain.submit(BountiesCall.fund(bounty, amount: dml(20)).call, as: .alice)
        chain.expectRejected(BountiesCall.fund(bounty, amount: dml(31)).call, as: .alice,
                             .bounties(.overfunded(bounty, funded: dml(20), adding: dml(31), total: dml(50))))
        chain.expectRejected(BountiesCall.fund(bounty, amount: dml(1)).call, as: .bob, .bounties(.notOwnerOrModerator(bounty, account: .bob)))
        chain.expectRejected(BountiesCall.fund(bounty, amount: .zero).call, as: .alice, .bounties(.zeroAmount))
        try chain.submit(BountiesCall.fund(bounty, amount: dml(30)).call, as: .alice)
        let events = try chain.submit(BountiesCall.openEnrollment(bounty).call, as: .alice)
        #expect(events == [BountiesEvent.statusChanged(bounty, to: .enrollmentOpen, by: .alice).event])
        chain.expectRejected(BountiesCall.fund(bounty, amount: dml(1)).call, as: .alice,
                             .bounties(.wrongStatus(bounty, status: .enrollmentOpen, expected: .pending)))
    }

    @Test func enrollmentIsOncePerParticipantNeverTheOwnerOnlyWhileOpen() throws {
        var chain = try posted()
        chain.expectRejected(BountiesCall.enroll(bounty).call, as: .bob, .bounties(.wrongStatus(bounty, status: .pending, expected: .enrollmentOpen)))
        try chain.submit(BountiesCall.openEnrollment(bounty).call, as: .dave)
        chain.expectRejected(BountiesCall.enroll(bounty).call, as: .alice, .bounties(.ownerCannotEnroll(bounty)))
        let events = try chain.submit(BountiesCall.enroll(bounty).call, as: .bob)
        #expect(events == [BountiesEvent.enrolled(bounty, participant: .bob).event])
        chain.expectRejected(BountiesCall.enroll(bounty).call, as: .bob, .bounties(.alreadyEnrolled(bounty, participant: .bob)))
        try chain.submit(BountiesCall.closeEnrollment(bounty).call, as: .alice)
        chain.expectRejected(BountiesCall.enroll(bounty).call, as: .carol,
                             .bounties(.wrongStatus(bounty, status: .enrollmentClosed, expected: .enrollmentOpen)))
        chain.expectRejected(BountiesCall.enroll(Identifier(5)).call, as: .carol, .bounties(.unknownBounty(Identifier(5))))
    }

    @Test func onlyEnrolledParticipantsSubmitAndOnlyWhileSubmissionsAreOpen() throws {
        var chain = try posted()
        try chain.submit(BountiesCall.openEnrollment(bounty).call, as: .alice)
        try chain.submit(BountiesCall.enroll(bounty).call, as: .bob)
        chain.expectRejected(BountiesCall.submit(bounty, artifact: Self.artifact, note: "").call, as: .bob,
                             .bounties(.wrongStatus(bounty, status: .enrollmentOpen, expected: .submissionsOpen)))
        try chain.submit(BountiesCall.closeEnrollment(bounty).call, as: .alice)
        try chain.submit(BountiesCall.openSubmissions(bounty).call, as: .alice)
        chain.expectRejected(BountiesCall.submit(bounty, artifact: Self.artifact, note: "").call, as: .carol,
                             .bounties(.notEnrolled(bounty, account: .carol)))
        chain.expectRejected(BountiesCall.submit(bounty, artifact: Self.artifact, note: String(repeating: "n", count: 1_025)).call, as: .bob,
                             .bounties(.fieldTooLong(field: "note", bytes: 1_025, max: 1_024)))
        try chain.submit(BountiesCall.submit(bounty, artifact: Self.artifact, note: "first").call, as: .bob)
        try chain.submit(BountiesCall.submit(bounty, artifact: Self.artifact, note: "second").call, as: .bob)
        #expect(stored(chain)?.submissions == 1)
        let visible = chain.ledger.reading { Bounties.submissions(of: bounty, visibleTo: .bob, in: $0) }
        #expect(visible.map(\.1.note) == ["second"])
        #expect(chain.ledger.reading { Bounties.submissions(of: bounty, visibleTo: .carol, in: $0) }.isEmpty)
        #expect(chain.ledger.reading { Bounties.submissions(of: bounty, visibleTo: .alice, in: $0) }.count == 1)
    }

    @Test func theDatesMoveABountyOnWithoutAnyone() throws {
        var chain = try posted()
        try chain.submit(BountiesCall.openEnrollment(bounty).call, as: .alice)
        try chain.submit(BountiesCall.enroll(bounty).call, as: .bob)
        chain.clock = Self.start + 10 * Self.hour  // the next block is past the enrollment end
        chain.expectRejected(BountiesCall.enroll(bounty).call, as: .carol,
                             .bounties(.wrongStatus(bounty, status: .submissionsOpen, expected: .enrollmentOpen)))
        let events = try chain.submit(BountiesCall.submit(bounty, artifact: Self.artifact, note: "").call, as: .bob)
        #expect(events == [
            BountiesEvent.statusChanged(bounty, to: .submissionsOpen, by: nil).event,
            BountiesEvent.submitted(bounty, participant: .bob, artifact: Self.artifact).event,
        ])
        chain.clock = Self.start + 20 * Self.hour
        chain.expectRejected(BountiesCall.submit(bounty, artifact: Self.artifact, note: "").call, as: .bob,
                             .bounties(.wrongStatus(bounty, status: .submissionsClosed, expected: .submissionsOpen)))
        #expect(stored(chain)?.effectiveStatus(at: Self.start + 20 * Self.hour) == .submissionsClosed)
    }

    @Test func winnersAreOnePerPrizeEnrolledSubmittedAndDistinct() throws {
        var chain = try readyToAward()
        chain.expectRejected(BountiesCall.award(bounty, winners: [.bob]).call, as: .alice, .bounties(.wrongWinnerCount(bounty, winners: 1, prizes: 2)))
        chain.expectRejected(BountiesCall.award(bounty, winners: [.bob, .bob]).call, as: .alice, .bounties(.duplicateWinner(bounty, .bob)))
        chain.expectRejected(BountiesCall.award(bounty, winners: [.bob, .dave]).call, as: .alice, .bounties(.winnerNotEnrolled(bounty, .dave)))
        chain.expectRejected(BountiesCall.award(bounty, winners: [.bob, .carol]).call, as: .bob, .bounties(.notOwnerOrModerator(bounty, account: .bob)))
        let events = try chain.submit(BountiesCall.award(bounty, winners: [.carol, .bob]).call, as: .alice)
        #expect(events == [
            BountiesEvent.statusChanged(bounty, to: .evaluated, by: .alice).event,
            BountiesEvent.awarded(bounty, winners: [.carol, .bob], by: .alice).event,
        ])
    }

    @Test func aWinnerWhoSubmittedNothingIsRefused() throws {
        var chain = try posted()
        try chain.submit(BountiesCall.openEnrollment(bounty).call, as: .alice)
        try chain.submit(BountiesCall.enroll(bounty).call, as: .bob)
        try chain.submit(BountiesCall.enroll(bounty).call, as: .carol)
        try chain.submit(BountiesCall.closeEnrollment(bounty).call, as: .alice)
        try chain.submit(BountiesCall.openSubmissions(bounty).call, as: .alice)
        try chain.submit(BountiesCall.submit(bounty, artifact: Self.artifact, note: "").call, as: .bob)
        try chain.submit(BountiesCall.closeSubmissions(bounty).call, as: .alice)
        chain.expectRejected(BountiesCall.award(bounty, winners: [.bob, .carol]).call, as: .alice, .bounties(.winnerDidNotSubmit(bounty, .carol)))
        // A moderator may override (seed 000 forceUpdateWinners), and it is an event on the log.
        let events = try chain.submit(BountiesCall.forceWinners(bounty, winners: [.bob, .carol]).call, as: .dave)
        #expect(events.last == BountiesEvent.awarded(bounty, winners: [.bob, .carol], by: .dave).event)
    }

    /// The marketplace prototype's flow: fund, enroll, submit, award, payout prize i to winner i.
    @Test func payoutPaysPrizeIToWinnerIInOneStep() throws {
        var chain = try readyToAward()
        try chain.submit(BountiesCall.award(bounty, winners: [.carol, .bob]).call, as: .alice)
        let events = try chain.submit(BountiesCall.payout(bounty).call, as: .alice)
        #expect(events == [
            BalancesEvent.released(escrow: Bounties.escrow(bounty), to: .carol, amount: dml(30)).event,
            BountiesEvent.prizePaid(bounty, rank: 0, winner: .carol, amount: dml(30)).event,
            BalancesEvent.released(escrow: Bounties.escrow(bounty), to: .bob, amount: dml(20)).event,
            BountiesEvent.prizePaid(bounty, rank: 1, winner: .bob, amount: dml(20)).event,
            BountiesEvent.statusChanged(bounty, to: .paid, by: .alice).event,
        ])
        #expect(chain.free(.carol) == dml(40))
        #expect(chain.free(.bob) == dml(118))
        #expect(escrow(chain) == .zero)
        chain.expectRejected(BountiesCall.payout(bounty).call, as: .alice, .bounties(.wrongStatus(bounty, status: .paid, expected: .evaluated)))
        chain.expectRejected(BountiesCall.cancel(bounty).call, as: .alice, .bounties(.finalStatus(bounty, status: .paid)))
    }

    @Test func afterTheDeadlineTheOwnerCanNoLongerAwardButAModeratorCan() throws {
        var chain = try readyToAward(rule: .refundOwner)
        chain.clock = Self.start + 31 * Self.hour
        chain.expectRejected(BountiesCall.award(bounty, winners: [.carol, .bob]).call, as: .alice,
                             .bounties(.deadlinePassed(bounty, deadline: Self.start + 30 * Self.hour, now: chain.clock + 1_000)))
        try chain.submit(BountiesCall.forceWinners(bounty, winners: [.carol, .bob]).call, as: .dave)
        #expect(stored(chain)?.status == .evaluated)
    }

    @Test func afterTheDeadlineAnyoneCanPayOutAnAwardedBounty() throws {
        var chain = try readyToAward()
        try chain.submit(BountiesCall.award(bounty, winners: [.carol, .bob]).call, as: .alice)
        chain.expectRejected(BountiesCall.payout(bounty).call, as: .bob, .bounties(.notOwnerOrModerator(bounty, account: .bob)))
        chain.clock = Self.start + 31 * Self.hour
        try chain.submit(BountiesCall.payout(bounty).call, as: .bob)
        #expect(stored(chain)?.status == .paid)
    }

    @Test func cancellingBeforeAnyoneEnrolledRefundsTheOwnerAtOnce() throws {
        var chain = try posted()
        try chain.submit(BountiesCall.openEnrollment(bounty).call, as: .alice)
        chain.expectRejected(BountiesCall.cancel(bounty).call, as: .bob, .bounties(.notOwnerOrModerator(bounty, account: .bob)))
        let events = try chain.submit(BountiesCall.cancel(bounty).call, as: .alice)
        #expect(events == [
            BalancesEvent.released(escrow: Bounties.escrow(bounty), to: .alice, amount: dml(50)).event,
            BountiesEvent.refunded(bounty, owner: .alice, amount: dml(50)).event,
            BountiesEvent.statusChanged(bounty, to: .cancelled, by: .alice).event,
        ])
        #expect(chain.free(.alice) == dml(100))
    }

    @Test func afterSomeoneEnrolledOnlyAModeratorCanCancel() throws {
        var chain = try posted()
        try chain.submit(BountiesCall.openEnrollment(bounty).call, as: .alice)
        try chain.submit(BountiesCall.enroll(bounty).call, as: .bob)
        chain.expectRejected(BountiesCall.cancel(bounty).call, as: .alice, .bounties(.hasParticipants(bounty, count: 1)))
        chain.expectRejected(BountiesCall.forceCancel(bounty).call, as: .bob, .bounties(.notModerator(.bob)))
        try chain.submit(BountiesCall.forceCancel(bounty).call, as: .dave)
        #expect(chain.free(.alice) == dml(100))
        #expect(stored(chain)?.status == .cancelled)
    }

    @Test func aMissedDeadlineRefundsTheOwnerWithoutAnAdmin() throws {
        var chain = try readyToAward(rule: .refundOwner)
        chain.expectRejected(BountiesCall.expire(bounty).call, as: .bob,
                             .bounties(.deadlineNotPassed(bounty, deadline: Self.start + 30 * Self.hour, now: chain.clock + 1_000)))
        chain.clock = Self.start + 30 * Self.hour
        let events = try chain.submit(BountiesCall.expire(bounty).call, as: .bob)
        #expect(events.suffix(2) == [
            BountiesEvent.refunded(bounty, owner: .alice, amount: dml(50)).event,
            BountiesEvent.statusChanged(bounty, to: .expired, by: nil).event,
        ])
        #expect(chain.free(.alice) == dml(100))
        chain.expectRejected(BountiesCall.expire(bounty).call, as: .bob, .bounties(.finalStatus(bounty, status: .expired)))
    }

    @Test func aMissedDeadlineCanSplitThePoolAmongSubmitters() throws {
        var chain = try readyToAward(rule: .splitAmongSubmitters)
        chain.clock = Self.start + 30 * Self.hour
        let events = try chain.submit(BountiesCall.expire(bounty).call, as: .carol)
        #expect(events.contains(BountiesEvent.shared(bounty, submitter: .bob, amount: dml(25)).event))
        #expect(events.contains(BountiesEvent.shared(bounty, submitter: .carol, amount: dml(25)).event))
        #expect(chain.free(.bob) == dml(123))
        #expect(chain.free(.carol) == dml(35))
        #expect(escrow(chain) == .zero)
    }

    @Test func aModeratorForcesAStatusButNeverAFinalOne() throws {
        var chain = try posted()
        chain.expectRejected(BountiesCall.forceStatus(bounty, .enrollmentOpen).call, as: .bob, .bounties(.notModerator(.bob)))
        chain.expectRejected(BountiesCall.forceStatus(bounty, .paid).call, as: .dave, .bounties(.finalStatus(bounty, status: .paid)))
        let events = try chain.submit(BountiesCall.forceStatus(bounty, .submissionsOpen).call, as: .dave)
        #expect(events == [BountiesEvent.statusChanged(bounty, to: .submissionsOpen, by: .dave).event])
        chain.expectRejected(BountiesCall.forceStatus(bounty, .evaluated).call, as: .dave, .bounties(.wrongWinnerCount(bounty, winners: 0, prizes: 2)))
    }

    @Test func bountiesAreListedByOwnerPaged() throws {
        var chain = TestChain()
        for _ in 0..<3 { try chain.submit(BountiesCall.create(Self.draft(prizes: [dml(1)]), fund: false).call, as: .alice) }
        let page = chain.ledger.reading { Bounties.bounties(by: .alice, offset: 1, limit: 5, in: $0) }
        #expect(page.total == 3)
        #expect(page.page.map(\.0) == [Identifier(2), Identifier(3)])
    }
}
