import DMLCore
@testable import DMLLedger
import Testing

/// A storage network on a test chain: alice is the super-admin and a bucket owner, carol
/// manages clusters, `providers[i]` runs node `nodeKeys[i]`.
struct StorageWorld {
    static let usd: UInt64 = 1_000_000_000
    static let month = Schedule.millisecondsPerMonth

    var chain: TestChain
    let providers: [AccountKey]
    let nodeKeys: [AccountKey]
    var cluster = Identifier<StorageCluster>(1)

    init(providers count: Int = 3) {
        providers = (0..<count).map { AccountKey.insecureDerived(from: "provider\($0)") }
        nodeKeys = (0..<count).map { AccountKey.insecureDerived(from: "node\($0)") }
        chain = TestChain([(.alice, dml(1_000)), (.bob, dml(1_000)), (.carol, dml(10)), (.dave, dml(10))] + providers.map { ($0, dml(1)) })
    }

    var nodes: [NodeKey] { nodeKeys.map(\.account) }

    func reading<T>(_ body: (CallContext) -> T) -> T { chain.ledger.reading(body) }
    func clusterRecord() -> StorageCluster { reading { Storage.cluster(cluster, in: $0)! } }
    func node(_ index: Int) -> StorageNode { reading { Storage.node(nodes[index], in: $0)! } }
    func account(_ key: AccountKey) -> StorageAccount? { reading { Storage.account(key.account, in: $0) } }

    mutating func call(_ call: StorageCall, as key: AccountKey) throws(TransactionError) {
        try chain.submit(call.call, as: key)
    }

    mutating func expectRejected(_ call: StorageCall, as key: AccountKey, _ error: StorageError,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        chain.expectRejected(call.call, as: key, .storage(error), sourceLocation: sourceLocation)
    }

    /// Each provider registers its node (capacity 100, `rent` USD per vnode-month) and trusts carol.
    mutating func registerNodes(rent: UInt64 = 2 * usd) throws {
        for (index, provider) in providers.enumerated() {
            try call(.createNode(nodes[index], capacity: 100, rentPerVNodePerMonth: rent,
                                 params: NodeParams(url: "http://127.0.0.1:\(7_000 + index)")), as: provider)
            try chain.submit(RolesCall.grant(.clusterManagerTrustedBy(provider: provider.account), to: .carol).call, as: provider)
        }
    }

    /// Carol's cluster with every node holding `vnodesPerNode` tokens spread over the ring.
    mutating func buildCluster(vnodesPerNode: Int = 2, resourcePerVNode: UInt32 = 10) throws {
        try registerNodes()
        try call(.createCluster(ClusterParams(replicationMax: 3), resourcePerVNode: resourcePerVNode), as: .carol)
        let total = UInt64(nodes.count * vnodesPerNode)
        for index in nodes.indices {
            let tokens = (0..<vnodesPerNode).map { UInt64(index + $0 * nodes.count) * (UInt64.max / total) }
            try call(.addNode(cluster, node: nodes[index], vnodes: tokens), as: .carol)
        }
    }
}

@Suite("Storage: nodes and clusters")
struct StorageClusterTests {
    @Test("a node is registered once, by its provider, and changed or removed only by it")
    func nodeRegistry() throws {
        var world = StorageWorld(providers: 1)
        try world.registerNodes()
        let key = world.nodes[0]
        world.expectRejected(.createNode(key, capacity: 1, rentPerVNodePerMonth: 1, params: NodeParams(url: "x")), as: .bob, .nodeExists(key))
        world.expectRejected(.setNodeParams(key, NodeParams(url: "y")), as: .bob, .notProvider(key, account: .bob))
        let huge = NodeParams(url: "u", description: String(repeating: "x", count: Storage.paramsBytesMax))
        world.expectRejected(.setNodeParams(key, huge), as: world.providers[0], .paramsTooBig(bytes: huge.canonicalBytes.count, max: Storage.paramsBytesMax))
        try world.call(.setNodeParams(key, NodeParams(url: "http://node.example")), as: world.providers[0])
        #expect(world.node(0).params.url == "http://node.example")
        try world.call(.removeNode(key), as: world.providers[0])
        #expect(world.reading { Storage.node(key, in: $0) } == nil)
    }

    @Test("a manager adds only nodes whose provider trusts it")
    func trust() throws {
        var world = StorageWorld(providers: 1)
        let provider = world.providers[0]
        let key = world.nodes[0]
        try world.call(.createNode(key, capacity: 100, rentPerVNodePerMonth: 5, params: NodeParams(url: "u")), as: provider)
        try world.call(.createCluster(ClusterParams(), resourcePerVNode: 10), as: .carol)
        world.expectRejected(.addNode(world.cluster, node: key, vnodes: [1]), as: .carol, .managerNotTrusted(manager: .carol, provider: provider.account))
        try world.chain.submit(RolesCall.grant(.clusterManagerTrustedBy(provider: provider.account), to: .carol).call, as: provider)
        try world.call(.addNode(world.cluster, node: key, vnodes: [1]), as: .carol)
        #expect(world.node(0).status == .adding)
        try world.chain.submit(RolesCall.revoke(.clusterManagerTrustedBy(provider: provider.account), from: .carol).call, as: provider)
        world.expectRejected(.removeNode(key), as: provider, .nodeInCluster(key, cluster: world.cluster))
        // A provider may always build a cluster of its own nodes.
        try world.call(.removeNodeFromCluster(world.cluster, node: key), as: provider)
        try world.call(.createCluster(ClusterParams(), resourcePerVNode: 10), as: provider)
        try world.call(.addNode(Identifier(2), node: key, vnodes: [7]), as: provider)
    }

    @Test("vnodes reserve resource from their node and add its rent; removal gives both back exactly")
    func resourcesAndRent() throws {
        var world = StorageWorld()
        try world.buildCluster(vnodesPerNode: 2, resourcePerVNode: 10)
        var cluster = world.clusterRecord()
        #expect(cluster.vnodeCount == 6 && cluster.capacity == 60 && cluster.totalRent == 12 * StorageWorld.usd)
        #expect(world.node(0).freeResource == 80)
        let tokens = world.reading { Storage.vnodes(of: world.nodes[0], in: world.cluster, context: $0) }
        world.expectRejected(.addNode(world.cluster, node: world.nodes[1], vnodes: [5]), as: .carol,
                             .nodeInCluster(world.nodes[1], cluster: world.cluster))
        world.expectRejected(.replaceNode(world.cluster, vnodes: [tokens[0], tokens[0]], with: world.nodes[1]), as: .carol, .duplicateVNode(tokens[0]))
        world.expectRejected(.replaceNode(world.cluster, vnodes: [12_345], with: world.nodes[1]), as: .carol, .unknownVNode(world.cluster, token: 12_345))
        world.expectRejected(.replaceNode(world.cluster, vnodes: tokens, with: world.nodes[1]), as: .carol, .nodeWouldHaveNoVNodes(world.nodes[0]))
        world.expectRejected(.setResourcePerVNode(world.cluster, 60), as: .carol, .insufficientNodeResource(world.nodes[0], needed: 120, free: 100))
        // Move one vnode from node 0 to node 1: resources and rent follow.
        try world.call(.replaceNode(world.cluster, vnodes: [tokens[0]], with: world.nodes[1]), as: .carol)
        #expect(world.node(0).freeResource == 90 && world.node(1).freeResource == 70)
        // Give node 2 four vnodes instead of two.
        try world.call(.resetNode(world.cluster, node: world.nodes[2], vnodes: [1, 2, 3, 4]), as: .carol)
        cluster = world.clusterRecord()
        #expect(cluster.vnodeCount == 8 && world.node(2).freeResource == 60)
        try world.call(.setResourcePerVNode(world.cluster, 20), as: .carol)
        #expect(world.node(2).freeResource == 20 && world.clusterRecord().capacity == 160)
        try world.call(.setNodeStatus(world.cluster, node: world.nodes[2], .active), as: .carol)
        world.expectRejected(.setNodeStatus(world.cluster, node: world.nodes[2], .offline), as: .bob, .notManager(world.cluster, account: .bob))
        try world.call(.removeNodeFromCluster(world.cluster, node: world.nodes[2]), as: world.providers[2])
        #expect(world.node(2).freeResource == 100 && world.node(2).cluster == nil)
        #expect(world.clusterRecord().totalRent == 4 * 2 * StorageWorld.usd)
    }

    @Test("ring limits: tokens unique in a cluster, at most the original's vnode count")
    func ringLimits() throws {
        var world = StorageWorld(providers: 2)
        try world.registerNodes()
        try world.call(.createCluster(ClusterParams(), resourcePerVNode: 0), as: .carol)
        try world.call(.addNode(world.cluster, node: world.nodes[0], vnodes: [42]), as: .carol)
        world.expectRejected(.addNode(world.cluster, node: world.nodes[1], vnodes: [42]), as: .carol,
                             .vnodeTaken(world.cluster, token: 42, node: world.nodes[0]))
        world.expectRejected(.addNode(world.cluster, node: world.nodes[1], vnodes: []), as: .carol, .noVNodes)
        let tooMany = (0..<UInt64(Storage.clusterVNodesMax)).map { $0 + 100 }
        world.expectRejected(.addNode(world.cluster, node: world.nodes[1], vnodes: tooMany), as: .carol,
                             .tooManyVNodes(world.cluster, count: Storage.clusterVNodesMax + 1, max: Storage.clusterVNodesMax))
    }

    @Test("a cluster is removed only when empty, and hands its remainder to the manager")
    func removeCluster() throws {
        var world = StorageWorld(providers: 1)
        try world.buildCluster(vnodesPerNode: 1)
        world.expectRejected(.removeCluster(world.cluster), as: .carol, .clusterNotEmpty(world.cluster, nodes: 1, resourceUsed: 0))
        try world.call(.removeNodeFromCluster(world.cluster, node: world.nodes[0]), as: .carol)
        try world.call(.removeCluster(world.cluster), as: .carol)
        world.expectRejected(.removeCluster(world.cluster), as: .carol, .unknownCluster(world.cluster))
    }

    @Test("placement: the first vnode at or after the address, then distinct nodes clockwise")
    func placement() {
        let a = AccountKey.insecureDerived(from: "a").account, b = AccountKey.insecureDerived(from: "b").account
        let c = AccountKey.insecureDerived(from: "c").account
        let address = Array("some blob".utf8)
        let position = Placement.position(of: address)
        let ring = [(token: position &- 10, node: a), (token: position, node: b), (token: position &+ 1, node: b),
                    (token: position &+ 5, node: c)].sorted { $0.token < $1.token }
        #expect(Placement.replicas(of: address, ring: ring, replication: 2) == [b, c])
        #expect(Placement.replicas(of: address, ring: ring, replication: 3) == [b, c, a])
        #expect(Placement.replicas(of: address, ring: ring, replication: 9) == [b, c, a])
        #expect(Placement.replicas(of: address, ring: [], replication: 3) == [])
    }
}

@Suite("Storage: buckets, rent and revenue")
struct StorageBillingTests {
    /// Seed 004's `test_ddc_bucket` money flow: 1% network fee, 2% management fee, three
    /// providers with two vnodes each; every provider receives the same share within rounding.
    @Test("rent settles into cluster revenue and is distributed after network and management fees")
    func originalScenario() throws {
        var world = StorageWorld()
        try world.buildCluster(vnodesPerNode: 2, resourcePerVNode: 10)
        try world.chain.submit(RolesCall.grant(.setExchangeRate, to: .dave).call, as: .alice)
        try world.call(.setFees(StorageFees(networkBasisPoints: 100, networkDestination: .bob, managementBasisPoints: 200,
                                            protocolBasisPoints: 0, protocolDestination: nil)), as: .alice)
        try world.call(.deposit(dml(100)), as: .alice)
        try world.call(.createBucket(world.cluster, BucketParams(replication: 3), owner: nil), as: .alice)
        let bucket = Identifier<StorageBucket>(1)
        let start = world.chain.clock + 1_000
        try world.call(.allocate(bucket, resource: 5), as: .alice)
        world.chain.clock = start + 86_400_000 - 1_000  // one day later, at the next block
        let providersBefore = world.providers.map { world.chain.free($0) }
        let bobBefore = world.chain.free(.bob), carolBefore = world.chain.free(.carol)
        try world.call(.settleBucket(bucket), as: .dave)
        try world.call(.distributeRevenues(world.cluster), as: .dave)

        // rate = 6 vnodes × 2 USD × 5 resource = 60 USD/month at 1 DML per USD.
        let expected = 60.0 * 86_400_000 / Double(StorageWorld.month) * 1e9
        let network = expected * 0.01, management = (expected - network) * 0.02
        let perProvider = (expected - network - management) / 3
        #expect(abs(Double((world.chain.free(.bob).baseUnits - bobBefore.baseUnits)) - network) < 10)
        #expect(abs(Double((world.chain.free(.carol).baseUnits - carolBefore.baseUnits)) - management) < 10)
        for (index, provider) in world.providers.enumerated() {
            let received = Double(world.chain.free(provider).baseUnits - providersBefore[index].baseUnits)
            #expect(abs(received - perProvider) < 10, "provider \(index) received \(received), expected \(perProvider)")
        }
        #expect(world.clusterRecord().revenues.baseUnits < 3, "only the division's remainder stays")
    }

    @Test("allocation is capped by vnodes × resource per vnode (not the inverted check)")
    func allocationCap() throws {
        var world = StorageWorld()
        try world.buildCluster(vnodesPerNode: 2, resourcePerVNode: 10)
        try world.call(.createBucket(world.cluster, BucketParams(replication: 2), owner: nil), as: .bob)
        let bucket = Identifier<StorageBucket>(1)
        world.expectRejected(.allocate(bucket, resource: 0), as: .bob, .zeroResource)
        world.expectRejected(.allocate(bucket, resource: 61), as: .bob, .insufficientClusterResource(world.cluster, needed: 61, capacity: 60))
        world.expectRejected(.allocate(bucket, resource: 1), as: .carol, .notOwner(bucket, account: .carol))
        try world.call(.allocate(bucket, resource: 60), as: .bob)
        world.expectRejected(.allocate(bucket, resource: 1), as: .bob, .insufficientClusterResource(world.cluster, needed: 61, capacity: 60))
        world.expectRejected(.createBucket(world.cluster, BucketParams(replication: 4), owner: nil), as: .bob, .replicationOutOfRange(requested: 4, max: 3))
        world.expectRejected(.createBucket(Identifier(9), BucketParams(), owner: nil), as: .bob, .unknownCluster(Identifier(9)))
        world.expectRejected(.removeNodeFromCluster(world.cluster, node: world.nodes[0]), as: .carol,
                             .insufficientClusterResource(world.cluster, needed: 60, capacity: 40))
    }

    @Test("a short deposit pays what it can; coverage, locked and withdrawable follow the accrual")
    func coverageAndPartialSettlement() throws {
        var world = StorageWorld()
        try world.buildCluster(vnodesPerNode: 2, resourcePerVNode: 10)
        try world.call(.createBucket(world.cluster, BucketParams(), owner: nil), as: .bob)
        let bucket = Identifier<StorageBucket>(1)
        try world.call(.deposit(dml(1)), as: .bob)
        try world.call(.allocate(bucket, resource: 5), as: .bob)  // 60 USD per month
        let started = world.chain.clock
        let covered = world.reading { Storage.rentCoveredUntil(bucket, in: $0)! }
        // 1 DML pays 1/60 of a month.
        #expect(abs(Int64(covered - started) - Int64(StorageWorld.month / 60)) <= 1)
        world.chain.clock = started + StorageWorld.month / 120 - 1_000  // half the coverage
        try world.call(.settleBucket(bucket), as: .carol)
        let status = world.reading { Storage.status(of: AccountID.bob, in: $0)! }
        #expect(status.withdrawable.baseUnits > 499_000_000 && status.withdrawable.baseUnits <= 500_000_000)
        let before = world.chain.ledger
        #expect(throws: TransactionError.self) { try world.call(.withdraw(Amount(baseUnits: 500_000_001)), as: .bob) }
        #expect(world.chain.ledger == before)
        world.chain.clock = started + StorageWorld.month  // far beyond coverage
        let events = try world.chain.submit(StorageCall.settleBucket(bucket).call, as: .carol)
        #expect(events.compactMap(StorageEvent.init).contains { if case .bucketSettled(_, _, _, false) = $0 { true } else { false } })
        #expect(world.account(.bob)!.deposit == .zero)
        #expect(world.reading { Storage.rentCoveredUntil(bucket, in: $0)! } < world.chain.clock)
        world.expectRejected(.changeBucketOwner(bucket, to: .alice), as: .bob, .rentNotCovered(bucket, owner: .bob))
    }

    @Test("changing owner settles first and moves the rent to the new owner")
    func changeOwner() throws {
        var world = StorageWorld()
        try world.buildCluster()
        try world.call(.createBucket(world.cluster, BucketParams(), owner: nil), as: .bob)
        let bucket = Identifier<StorageBucket>(1)
        try world.call(.deposit(dml(10)), as: .bob)
        try world.call(.allocate(bucket, resource: 1), as: .bob)
        world.expectRejected(.changeBucketOwner(bucket, to: .bob), as: .bob, .sameOwner(bucket))
        try world.call(.changeBucketOwner(bucket, to: .alice), as: .bob)
        #expect(world.account(.bob)!.payable.rate == 0)
        #expect(world.account(.alice)!.payable.rate == 12 * StorageWorld.usd)
    }

    @Test("readers and writers: owner or manager grants, no duplicates; public buckets read by anyone")
    func access() throws {
        var world = StorageWorld(providers: 1)
        try world.buildCluster(vnodesPerNode: 1)
        try world.call(.createBucket(world.cluster, BucketParams(replication: 1), owner: nil), as: .bob)
        let bucket = Identifier<StorageBucket>(1)
        try world.call(.grantBucketAccess(bucket, .writer, to: .dave), as: .bob)
        world.expectRejected(.grantBucketAccess(bucket, .writer, to: .dave), as: .bob, .alreadyGranted(bucket, .writer, .dave))
        world.expectRejected(.grantBucketAccess(bucket, .reader, to: .dave), as: .dave, .notOwnerOrManager(bucket, account: .dave))
        try world.call(.grantBucketAccess(bucket, .reader, to: .alice), as: .carol)
        var record = world.reading { Storage.bucket(bucket, in: $0)! }
        #expect(record.mayWrite(.dave) && !record.mayWrite(.alice) && record.mayRead(.alice) && !record.mayRead(nil))
        try world.call(.revokeBucketAccess(bucket, .reader, from: .alice), as: .bob)
        world.expectRejected(.revokeBucketAccess(bucket, .reader, from: .alice), as: .bob, .notGranted(bucket, .reader, .alice))
        try world.call(.setBucketAvailability(bucket, isPublic: true), as: .bob)
        record = world.reading { Storage.bucket(bucket, in: $0)! }
        #expect(record.mayRead(nil) && !record.mayWrite(.alice))
    }

    @Test("bond, unbond after a week, withdraw: money moves only as the rules say")
    func bonding() throws {
        var world = StorageWorld(providers: 1)
        world.expectRejected(.bond(dml(1)), as: .bob, .unknownAccount(.bob))
        try world.call(.deposit(dml(10)), as: .bob)
        world.expectRejected(.deposit(.zero), as: .bob, .zeroAmount)
        try world.call(.bond(dml(4)), as: .bob)
        world.expectRejected(.bond(dml(7)), as: .bob, .insufficientWithdrawable(.bob, needed: dml(7), withdrawable: dml(6)))
        world.expectRejected(.unbond(dml(5)), as: .bob, .insufficientBonded(.bob, needed: dml(5), bonded: dml(4)))
        try world.call(.unbond(dml(3)), as: .bob)
        let unlocks = world.account(.bob)!.unbondingUnlocksAt
        world.expectRejected(.withdrawUnbonded, as: .bob, .unbondingNotFinished(.bob, unlocksAt: unlocks, now: world.chain.clock + 1_000))
        world.chain.clock = unlocks
        try world.call(.withdrawUnbonded, as: .bob)
        world.expectRejected(.withdrawUnbonded, as: .bob, .nothingUnbonding(.bob))
        #expect(world.account(.bob)!.deposit == dml(9) && world.account(.bob)!.bonded == dml(1))
        let before = world.chain.free(.bob)
        try world.call(.withdraw(dml(9)), as: .bob)
        #expect(world.chain.free(.bob) == before.adding(dml(9))!)
    }

    @Test("usage: a node bills bytes served from the owner's bond, once; the protocol takes its fee")
    func usage() throws {
        var world = StorageWorld()
        try world.buildCluster()
        try world.call(.setFees(StorageFees(networkBasisPoints: 0, networkDestination: nil, managementBasisPoints: 0,
                                            protocolBasisPoints: 500, protocolDestination: .dave)), as: .alice)
        try world.call(.createBucket(world.cluster, BucketParams(), owner: nil), as: .bob)
        let bucket = Identifier<StorageBucket>(1)
        try world.call(.deposit(dml(10)), as: .bob)
        try world.call(.bond(dml(1)), as: .bob)
        let node = world.nodeKeys[0]
        // 10 GB at 1 cent per GB = 0.1 USD = 0.1 DML.
        try world.call(.reportUsage(bucket, servedBytesTotal: 10_000_000_000, storedBytes: 5), as: node)
        #expect(world.account(.bob)!.bonded == Amount(baseUnits: 900_000_000))
        #expect(world.reading { Storage.protocolRevenue(in: $0) } == Amount(baseUnits: 5_000_000))
        #expect(world.reading { Storage.earnings(of: node.account, in: world.cluster, context: $0) } == Amount(baseUnits: 95_000_000))
        try world.call(.reportUsage(bucket, servedBytesTotal: 10_000_000_000, storedBytes: 5), as: node)
        #expect(world.account(.bob)!.bonded == Amount(baseUnits: 900_000_000), "a repeated report charges nothing")
        world.expectRejected(.reportUsage(bucket, servedBytesTotal: 1, storedBytes: 0), as: node,
                             .usageCounterWentBack(bucket, node: node.account, reported: 1, last: 10_000_000_000))
        world.expectRejected(.reportUsage(bucket, servedBytesTotal: 1, storedBytes: 0), as: .dave, .notNodeOfBucketCluster(bucket, node: .dave))
        // 100 GB more costs 1 DML, more than the bond: nothing is charged and the bytes stay due.
        try world.call(.reportUsage(bucket, servedBytesTotal: 110_000_000_000, storedBytes: 5), as: node)
        #expect(world.reading { Storage.usage(of: bucket, by: node.account, in: $0) }.unbilledBytes == 100_000_000_000)
        try world.call(.bond(dml(1)), as: .bob)
        try world.call(.reportUsage(bucket, servedBytesTotal: 110_000_000_000, storedBytes: 5), as: node)
        #expect(world.reading { Storage.usage(of: bucket, by: node.account, in: $0) }.unbilledBytes == 0)
        #expect(world.account(.bob)!.bonded == Amount(baseUnits: 900_000_000))
        // Distribution pays the node's earnings to its provider; the protocol revenue to dave.
        let before = world.chain.free(world.providers[0])
        try world.call(.distributeRevenues(world.cluster), as: .dave)
        #expect(world.chain.free(world.providers[0]) == before.adding(Amount(baseUnits: 95_000_000 + 950_000_000))!)
        world.expectRejected(.withdrawProtocolRevenue(dml(1)), as: .alice, .insufficientProtocolRevenue(needed: dml(1), held: Amount(baseUnits: 55_000_000)))
        world.expectRejected(.withdrawProtocolRevenue(Amount(baseUnits: 1)), as: .bob, .notSuperAdmin(.bob))
        try world.call(.withdrawProtocolRevenue(Amount(baseUnits: 55_000_000)), as: .alice)
    }

    @Test("administration: exchange rate needs its permission, fees need a super-admin and sane values")
    func administration() throws {
        var world = StorageWorld(providers: 1)
        let rate = ExchangeRate(usdUnitsPerToken: 2 * StorageWorld.usd)!
        world.expectRejected(.setExchangeRate(rate), as: .bob, .notRatePermitted(.bob))
        try world.call(.setExchangeRate(rate), as: .alice)
        #expect(world.reading { Storage.exchangeRate(in: $0) } == rate)
        world.expectRejected(.setFees(StorageFees(networkBasisPoints: 10_001, networkDestination: .bob, managementBasisPoints: 0,
                                                  protocolBasisPoints: 0, protocolDestination: nil)), as: .alice, .feeTooHigh(basisPoints: 10_001))
        world.expectRejected(.setFees(StorageFees(networkBasisPoints: 1, networkDestination: nil, managementBasisPoints: 0,
                                                  protocolBasisPoints: 0, protocolDestination: nil)), as: .alice, .feeWithoutDestination)
        world.expectRejected(.setFees(.none), as: .bob, .notSuperAdmin(.bob))
    }

    @Test("money arithmetic: schedules add exactly, conversions round down")
    func moneyArithmetic() {
        var schedule = Schedule(rate: 31, startingAt: 1_000)
        #expect(schedule.value(at: 1_000) == 0)
        #expect(schedule.value(at: 1_000 + Schedule.millisecondsPerMonth) == 31)
        schedule.take(10)
        #expect(schedule.value(at: 1_000 + Schedule.millisecondsPerMonth) == 21)
        let sum = schedule.adding(Schedule(rate: 5, startingAt: 2_000))!
        #expect(sum.subtracting(Schedule(rate: 5, startingAt: 2_000)) == schedule)
        #expect(Schedule.empty.time(ofValue: 5) == .max)
        let rate = ExchangeRate(usdUnitsPerToken: 3)!
        #expect(rate.tokens(forUSD: 1) == Amount(baseUnits: 333_333_333))
        #expect(rate.usd(for: Amount(baseUnits: 333_333_333)) == 0)
        #expect(ExchangeRate(usdUnitsPerToken: 0) == nil)
    }

    /// Settlement and distribution never create or destroy tokens: random interleavings of
    /// allocations, time, settlements, usage, fees, distributions and withdrawals keep the
    /// issuance and every invariant (checked after each block by `TestChain`).
    @Test("property: settlement and distribution conserve tokens", arguments: [1, 2, 3, 4, 5] as [UInt64])
    func conservation(seed: UInt64) throws {
        var world = StorageWorld()
        try world.buildCluster(vnodesPerNode: 3, resourcePerVNode: 30)
        try world.call(.setFees(StorageFees(networkBasisPoints: 137, networkDestination: .dave, managementBasisPoints: 251,
                                            protocolBasisPoints: 499, protocolDestination: .dave)), as: .alice)
        let issuance = world.chain.ledger.totalIssuance
        var random = Xorshift(seed: seed)
        let owners: [AccountKey] = [.alice, .bob]
        for owner in owners {
            try world.call(.createBucket(world.cluster, BucketParams(), owner: nil), as: owner)
        }
        var served: [UInt64] = [0, 0]
        var accepted = [Int](repeating: 0, count: 9)
        for _ in 0..<150 {
            let which = Int(random.next() % 2)
            let owner = owners[which], bucket = Identifier<StorageBucket>(UInt64(which + 1))
            world.chain.clock += random.next() % 3_000_000_000
            let calls: [(StorageCall, AccountKey)] = [
                (.deposit(Amount(baseUnits: random.next() % 5_000_000_000 + 1)), owner),
                (.allocate(bucket, resource: UInt32(random.next() % 7 + 1)), owner),
                (.settleBucket(bucket), .carol),
                (.distributeRevenues(world.cluster), .dave),
                (.bond(Amount(baseUnits: random.next() % 1_000_000_000 + 1)), owner),
                (.withdraw(Amount(baseUnits: random.next() % 1_000_000_000 + 1)), owner),
                (.reportUsage(bucket, servedBytesTotal: served[which] + random.next() % 50_000_000_000, storedBytes: 0), world.nodeKeys[which]),
                (.setExchangeRate(ExchangeRate(usdUnitsPerToken: random.next() % 3_000_000_000 + 1)!), .alice),
                (.unbond(Amount(baseUnits: random.next() % 500_000_000 + 1)), owner),
            ]
            let kind = Int(random.next() % UInt64(calls.count))
            let (call, key) = calls[kind]
            if (try? world.call(call, as: key)) != nil {
                accepted[kind] += 1
                if case let .reportUsage(_, total, _) = call { served[which] = total }
            }
            #expect(world.chain.ledger.totalIssuance == issuance)
        }
        #expect(world.chain.ledger.totalIssuance == issuance)
        // The run exercised what it claims: settlements and distributions that moved money.
        #expect(accepted[2] > 0 && accepted[3] > 0 && accepted[6] > 0, "accepted per call kind: \(accepted)")
        #expect(world.chain.blocks.flatMap(\.events).contains { event in
            if case .bucketSettled(_, _, let paid, _)? = StorageEvent(event.event) { !paid.isZero } else { false }
        })
    }
}

/// A tiny deterministic generator for property tests.
struct Xorshift {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
