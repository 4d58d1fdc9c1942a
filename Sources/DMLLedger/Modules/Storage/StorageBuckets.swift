import DMLCore

extension StorageV1 {
    /// Creates a bucket in an existing cluster (seed 004 did not check that the cluster exists).
    /// It costs nothing until its owner allocates resource to it.
    /// - Throws: `.paramsTooBig`, `.unknownCluster`, `.replicationOutOfRange`, `.idsExhausted`.
    ///   Emits `.bucketCreated`.
    func createBucket(in cluster: Identifier<StorageCluster>, _ params: BucketParams, owner: AccountID,
                      context: inout CallContext) throws(StorageError) {
        try checkSize(params)
        let record = try existingCluster(cluster, context)
        try checkReplication(params, record)
        let id = context.get(Storage.nextBucket, Unit()) ?? Identifier(1)
        guard let next = id.next else { throw .idsExhausted }
        context.set(Storage.nextBucket, Unit(), next)
        context.set(Storage.buckets, id, StorageBucket(owner: owner, cluster: cluster, params: params))
        if Storage.account(owner, in: context) == nil { context.set(Storage.accounts, owner, StorageAccount()) }
        context.emit(StorageEvent.bucketCreated(id, owner: owner, cluster: cluster))
    }

    /// Reserves `resource` more in the bucket's cluster and starts its rent: from now on the
    /// owner owes `cluster.totalRent × resource` USD units per month. Only the owner allocates
    /// (seed 004 also let the manager, which let a manager raise someone else's rent).
    /// - Throws: `.zeroResource`, `.unknownBucket`, `.notOwner`, `.unknownCluster`,
    ///   `.insufficientClusterResource`, `.arithmeticOverflow`. Emits `.bucketAllocated`.
    func allocate(_ id: Identifier<StorageBucket>, _ resource: UInt32, by actor: AccountID, context: inout CallContext) throws(StorageError) {
        guard resource > 0 else { throw .zeroResource }
        var bucket = try owned(id, actor, context)
        var cluster = try existingCluster(bucket.cluster, context)
        let used = cluster.resourceUsed + UInt64(resource)
        guard used <= cluster.capacity else { throw .insufficientClusterResource(bucket.cluster, needed: used, capacity: cluster.capacity) }
        let (rate, overflow) = cluster.totalRent.multipliedReportingOverflow(by: UInt64(resource))
        let (reserved, overflowReserved) = bucket.resourceReserved.addingReportingOverflow(resource)
        guard !overflow, !overflowReserved else { throw .arithmeticOverflow("the bucket's rent or reservation") }
        let added = Schedule(rate: rate, startingAt: context.environment.timestampMilliseconds)
        var account = Storage.account(bucket.owner, in: context) ?? StorageAccount()
        guard let flow = bucket.flow.adding(added), let payable = account.payable.adding(added) else {
            throw .arithmeticOverflow("the owner's rent rate")
        }
        bucket.flow = flow
        bucket.resourceReserved = reserved
        account.payable = payable
        cluster.resourceUsed = used
        context.set(Storage.buckets, id, bucket)
        context.set(Storage.clusters, bucket.cluster, cluster)
        context.set(Storage.accounts, bucket.owner, account)
        context.emit(StorageEvent.bucketAllocated(id, cluster: bucket.cluster, resource: resource, rate: rate))
    }

    /// - Throws: `.paramsTooBig`, `.unknownBucket`, `.notOwner`, `.unknownCluster`,
    ///   `.replicationOutOfRange`. Emits `.bucketParamsSet`.
    func setBucketParams(_ id: Identifier<StorageBucket>, _ params: BucketParams, by actor: AccountID,
                         context: inout CallContext) throws(StorageError) {
        try checkSize(params)
        var bucket = try owned(id, actor, context)
        try checkReplication(params, try existingCluster(bucket.cluster, context))
        bucket.params = params
        context.set(Storage.buckets, id, bucket)
        context.emit(StorageEvent.bucketParamsSet(id))
    }

    /// Hands the bucket, and its rent, to `newOwner`. The rent due so far is settled first and
    /// must be fully covered, so the old owner cannot leave a debt behind.
    /// - Throws: `.unknownBucket`, `.notOwner`, `.sameOwner`, `.rentNotCovered`. Emits
    ///   `.bucketSettled`, `.bucketOwnerChanged`.
    func changeBucketOwner(_ id: Identifier<StorageBucket>, to newOwner: AccountID, by actor: AccountID,
                           context: inout CallContext) throws(StorageError) {
        _ = try owned(id, actor, context)
        guard newOwner != actor else { throw .sameOwner(id) }
        guard try settle(id, context: &context) else { throw .rentNotCovered(id, owner: actor) }
        guard var bucket = Storage.bucket(id, in: context), var old = Storage.account(actor, in: context) else {
            preconditionFailure("bucket \(id) or its owner's account vanished while settling")
        }
        var new = Storage.account(newOwner, in: context) ?? StorageAccount()
        guard let payable = new.payable.adding(bucket.flow) else { throw .arithmeticOverflow("the new owner's rent rate") }
        old.payable = old.payable.subtracting(bucket.flow)
        new.payable = payable
        bucket.owner = newOwner
        context.set(Storage.accounts, actor, old)
        context.set(Storage.accounts, newOwner, new)
        context.set(Storage.buckets, id, bucket)
        context.emit(StorageEvent.bucketOwnerChanged(id, from: actor, to: newOwner))
    }

    /// - Throws: `.unknownBucket`, `.notOwnerOrManager`. Emits `.bucketAvailabilitySet`.
    func setBucketAvailability(_ id: Identifier<StorageBucket>, _ isPublic: Bool, by actor: AccountID,
                               context: inout CallContext) throws(StorageError) {
        var bucket = try ownedOrManaged(id, actor, context)
        bucket.isPublic = isPublic
        context.set(Storage.buckets, id, bucket)
        context.emit(StorageEvent.bucketAvailabilitySet(id, isPublic: isPublic))
    }

    /// - Throws: `.unknownBucket`, `.notOwnerOrManager`, `.alreadyGranted`, `.accessListFull`.
    ///   Emits `.bucketAccessGranted`.
    func grant(_ access: StorageBucket.Access, on id: Identifier<StorageBucket>, to account: AccountID, by actor: AccountID,
               context: inout CallContext) throws(StorageError) {
        var bucket = try ownedOrManaged(id, actor, context)
        var list = access == .reader ? bucket.readers : bucket.writers
        guard !list.contains(account) else { throw .alreadyGranted(id, access, account) }
        guard list.count < Storage.bucketAccessMax else { throw .accessListFull(id, max: Storage.bucketAccessMax) }
        list.append(account)
        if access == .reader { bucket.readers = list } else { bucket.writers = list }
        context.set(Storage.buckets, id, bucket)
        context.emit(StorageEvent.bucketAccessGranted(id, access, to: account))
    }

    /// - Throws: `.unknownBucket`, `.notOwnerOrManager`, `.notGranted`. Emits `.bucketAccessRevoked`.
    func revoke(_ access: StorageBucket.Access, on id: Identifier<StorageBucket>, from account: AccountID, by actor: AccountID,
                context: inout CallContext) throws(StorageError) {
        var bucket = try ownedOrManaged(id, actor, context)
        var list = access == .reader ? bucket.readers : bucket.writers
        guard list.contains(account) else { throw .notGranted(id, access, account) }
        list.removeAll { $0 == account }
        if access == .reader { bucket.readers = list } else { bucket.writers = list }
        context.set(Storage.buckets, id, bucket)
        context.emit(StorageEvent.bucketAccessRevoked(id, access, from: account))
    }

    // MARK: - Checks

    func existingBucket(_ id: Identifier<StorageBucket>, _ context: CallContext) throws(StorageError) -> StorageBucket {
        guard let bucket = Storage.bucket(id, in: context) else { throw .unknownBucket(id) }
        return bucket
    }

    func owned(_ id: Identifier<StorageBucket>, _ actor: AccountID, _ context: CallContext) throws(StorageError) -> StorageBucket {
        let bucket = try existingBucket(id, context)
        guard bucket.owner == actor else { throw .notOwner(id, account: actor) }
        return bucket
    }

    func ownedOrManaged(_ id: Identifier<StorageBucket>, _ actor: AccountID, _ context: CallContext) throws(StorageError) -> StorageBucket {
        let bucket = try existingBucket(id, context)
        guard bucket.owner == actor || Storage.cluster(bucket.cluster, in: context)?.manager == actor else {
            throw .notOwnerOrManager(id, account: actor)
        }
        return bucket
    }

    func checkReplication(_ params: BucketParams, _ cluster: StorageCluster) throws(StorageError) {
        guard params.replication >= 1, params.replication <= cluster.params.replicationMax else {
            throw .replicationOutOfRange(requested: params.replication, max: cluster.params.replicationMax)
        }
    }
}
