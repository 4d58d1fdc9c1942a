import DMLCore
import DMLLedger
import Testing

@Suite struct RolesTests {
    @Test func aSuperAdminGrantsAndRevokesAnyRole() throws {
        var chain = TestChain()
        for role in [Role.moderator, .validator, .setExchangeRate, .superAdmin] {
            let events = try chain.submit(RolesCall.grant(role, to: .bob).call, as: .alice)
            #expect(events == [RolesEvent.granted(role: role, to: .bob, by: .alice).event])
            #expect(chain.ledger.has(role, .bob))
        }
        for role in [Role.moderator, .validator, .setExchangeRate] {
            try chain.submit(RolesCall.revoke(role, from: .bob).call, as: .alice)
        }
        chain.checkInvariants()
    }

    @Test func aModeratorManagesModeratorsButNothingElse() throws {
        var chain = TestChain()
        try chain.submit(RolesCall.grant(.moderator, to: .bob).call, as: .alice)
        try chain.submit(RolesCall.grant(.moderator, to: .carol).call, as: .bob)
        try chain.submit(RolesCall.revoke(.moderator, from: .carol).call, as: .bob)
        chain.expectRejected(RolesCall.grant(.validator, to: .carol).call, as: .bob, .roles(.notAllowed(role: .validator, actor: .bob)))
        chain.expectRejected(RolesCall.grant(.superAdmin, to: .bob).call, as: .bob, .roles(.notAllowed(role: .superAdmin, actor: .bob)))
        chain.checkInvariants()
    }

    @Test func anAccountWithoutRolesCanGrantNothing() {
        var chain = TestChain()
        for role in [Role.moderator, .validator, .setExchangeRate, .superAdmin] {
            chain.expectRejected(RolesCall.grant(role, to: .carol).call, as: .bob, .roles(.notAllowed(role: role, actor: .bob)))
        }
    }

    @Test func onlyTheProviderGivesItsTrustToAClusterManager() throws {
        var chain = TestChain()
        let trust = Role.clusterManagerTrustedBy(provider: .bob)
        chain.expectRejected(RolesCall.grant(trust, to: .carol).call, as: .carol, .roles(.notAllowed(role: trust, actor: .carol)))
        try chain.submit(RolesCall.grant(trust, to: .carol).call, as: .bob)
        #expect(chain.ledger.has(trust, .carol))
        // A super-admin holds every role except another provider's trust.
        #expect(!chain.ledger.has(trust, .alice))
        #expect(chain.ledger.has(.validator, .alice))
        try chain.submit(RolesCall.revoke(trust, from: .carol).call, as: .bob)
        #expect(!chain.ledger.has(trust, .carol))
    }

    @Test func aHolderMayRenounceItsOwnRole() throws {
        var chain = TestChain()
        try chain.submit(RolesCall.grant(.validator, to: .bob).call, as: .alice)
        let events = try chain.submit(RolesCall.revoke(.validator, from: .bob).call, as: .bob)
        #expect(events == [RolesEvent.revoked(role: .validator, from: .bob, by: .bob).event])
    }

    @Test func theLastSuperAdminCannotBeRemoved() throws {
        var chain = TestChain()
        chain.expectRejected(RolesCall.revoke(.superAdmin, from: .alice).call, as: .alice, .roles(.lastSuperAdmin))
        try chain.submit(RolesCall.grant(.superAdmin, to: .bob).call, as: .alice)
        try chain.submit(RolesCall.revoke(.superAdmin, from: .alice).call, as: .bob)
        chain.expectRejected(RolesCall.revoke(.superAdmin, from: .bob).call, as: .bob, .roles(.lastSuperAdmin))
        chain.checkInvariants()
    }

    /// Each row breaks its own rule and every rule below it.
    @Test func roleRejectionsComeInTheDocumentedOrder() throws {
        var chain = TestChain()
        chain.expectRejected(RolesCall.grant(.superAdmin, to: .alice).call, as: .bob, .roles(.notAllowed(role: .superAdmin, actor: .bob)))
        chain.expectRejected(RolesCall.grant(.superAdmin, to: .alice).call, as: .alice, .roles(.alreadyHeld(role: .superAdmin, account: .alice)))
        chain.expectRejected(RolesCall.revoke(.validator, from: .carol).call, as: .bob, .roles(.notAllowed(role: .validator, actor: .bob)))
        chain.expectRejected(RolesCall.revoke(.validator, from: .carol).call, as: .alice, .roles(.notHeld(role: .validator, account: .carol)))
        chain.expectRejected(RolesCall.revoke(.superAdmin, from: .alice).call, as: .alice, .roles(.lastSuperAdmin))
    }

    @Test func genesisWithoutASuperAdminIsRefused() {
        let spec = ChainSpec(name: "x", isDevelopment: true, genesisTimestampMilliseconds: 0, allocations: [], superAdmins: [])
        #expect(throws: GenesisError.noSuperAdmin) { try Ledger.genesis(spec) }
    }
}
