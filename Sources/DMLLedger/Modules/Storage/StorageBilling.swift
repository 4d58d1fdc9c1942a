import DMLCore

/// Money in the storage network (seed 004 §4.3): deposits pay rent, bonds pay usage.
extension StorageV1 {
    // MARK: - Rent

    /// Anyone may settle a bucket: the rent accrued since the last settlement moves from the
    /// owner's deposit into the cluster's revenue. If the deposit is short, all of it is paid
    /// and the rest stays due (seed 004 refused the whole settlement instead, so providers got
    /// nothing of what was covered).
    /// - Throws: `.unknownBucket`, `.unknownCluster`. Emits `.bucketSettled`.
    func settleBucket(_ id: Identifier<StorageBucket>, context: inout CallContext) throws(StorageError) {
        _ = try existingBucket(id, context)
        _ = try settle(id, context: &context)
    }

    /// Settles `id`; returns whether everything due was paid.
    func settle(_ id: Identifier<StorageBucket>, context: inout CallContext) throws(StorageError) -> Bool {
        var bucket = try existingBucket(id, context)
        let now = context.environment.timestampMilliseconds
        let due = bucket.flow.value(at: now)
        guard due > 0 else {
            context.emit(StorageEvent.bucketSettled(id, cluster: bucket.cluster, paid: .zero, complete: true))
            return true
        }
        var cluster = try existingCluster(bucket.cluster, context)
        guard var account = Storage.account(bucket.owner, in: context) else { preconditionFailure("bucket \(id) has rent but no payer account") }
        let rate = Storage.exchangeRate(in: context)
        var taken = due
        var paid = rate.tokens(forUSD: due) ?? .max
        let complete = paid <= account.deposit
        if !complete {
            paid = account.deposit
            taken = rate.usd(for: paid)
        }
        guard let revenues = cluster.revenues.adding(paid) else { throw .arithmeticOverflow("the cluster's revenues") }
        bucket.flow.take(taken)
        account.payable.take(taken)
        account.deposit = account.deposit.subtracting(paid)!
        cluster.revenues = revenues
        context.set(Storage.buckets, id, bucket)
        context.set(Storage.accounts, bucket.owner, account)
        context.set(Storage.clusters, bucket.cluster, cluster)
        context.emit(StorageEvent.bucketSettled(id, cluster: bucket.cluster, paid: paid, complete: complete))
        return complete
    }

    /// Anyone may distribute a cluster's revenue: the network fee to its destination, the
    /// management fee (of what remains) to the manager, then equal shares per member node to
    /// their providers, together with each node's usage earnings. The remainder of the division
    /// stays for next time.
    /// - Throws: `.unknownCluster`, `.balances`. Emits `.revenuesDistributed`, `.providerPaid` per node.
    func distributeRevenues(_ id: Identifier<StorageCluster>, context: inout CallContext) throws(StorageError) {
        var cluster = try existingCluster(id, context)
        let fees = Storage.fees(in: context)
        let revenue = cluster.revenues
        let networkFee = revenue.share(basisPoints: fees.networkBasisPoints)
        var remaining = revenue.subtracting(networkFee)!
        let managementFee = remaining.share(basisPoints: fees.managementBasisPoints)
        remaining = remaining.subtracting(managementFee)!
        let shares = UInt64(cluster.nodes.count)
        let perShare = shares == 0 ? Amount.zero : Amount(baseUnits: remaining.baseUnits / shares)
        let kept = Amount(baseUnits: remaining.baseUnits - perShare.baseUnits * shares)
        if let destination = fees.networkDestination, !networkFee.isZero { try payOut(networkFee, to: destination, context: &context) }
        if !managementFee.isZero { try payOut(managementFee, to: cluster.manager, context: &context) }
        cluster.revenues = kept
        context.set(Storage.clusters, id, cluster)
        context.emit(StorageEvent.revenuesDistributed(id, networkFee: networkFee, managementFee: managementFee, perShare: perShare,
                                                      shares: UInt32(shares), kept: kept))
        for key in cluster.nodes {
            guard let node = Storage.node(key, in: context) else { preconditionFailure("cluster \(id) lists unknown node \(key)") }
            let usage = Storage.earnings(of: key, in: id, context: context)
            guard let total = perShare.adding(usage) else { throw .arithmeticOverflow("a provider's payment") }
            guard !total.isZero else { continue }
            try payOut(total, to: node.provider, context: &context)
            context.set(Storage.earnings, Pair(id, key), nil)
            context.emit(StorageEvent.providerPaid(id, node: key, provider: node.provider, rent: perShare, usage: usage))
        }
    }

    // MARK: - Accounts

    /// Moves `amount` of the caller's free balance into its storage deposit.
    /// - Throws: `.zeroAmount`, `.balances(.insufficientBalance)`. Emits `.escrowed`, `.deposited`.
    func deposit(_ amount: Amount, by account: AccountID, context: inout CallContext) throws(StorageError) {
        guard !amount.isZero else { throw .zeroAmount }
        var record = Storage.account(account, in: context) ?? StorageAccount()
        guard let deposit = record.deposit.adding(amount) else { throw .arithmeticOverflow("the deposit") }
        do { try Balances.deposit(amount, from: account, into: Storage.escrow, context: &context) } catch { throw .balances(error) }
        record.deposit = deposit
        context.set(Storage.accounts, account, record)
        context.emit(StorageEvent.deposited(account, amount))
    }

    /// Moves `amount` of the withdrawable deposit into the bond that pays for usage.
    /// - Throws: `.zeroAmount`, `.unknownAccount`, `.insufficientWithdrawable`. Emits `.bonded`.
    func bond(_ amount: Amount, by account: AccountID, context: inout CallContext) throws(StorageError) {
        guard !amount.isZero else { throw .zeroAmount }
        var record = try withdrawable(amount, of: account, context)
        guard let bonded = record.bonded.adding(amount) else { throw .arithmeticOverflow("the bond") }
        record.deposit = record.deposit.subtracting(amount)!
        record.bonded = bonded
        context.set(Storage.accounts, account, record)
        context.emit(StorageEvent.bonded(account, amount))
    }

    /// Starts unbonding `amount`; it returns to the deposit after `Storage.unbondingMilliseconds`
    /// (a further unbond restarts the wait for the whole unbonding amount, as in seed 004).
    /// - Throws: `.zeroAmount`, `.unknownAccount`, `.insufficientBonded`. Emits `.unbonded`.
    func unbond(_ amount: Amount, by account: AccountID, context: inout CallContext) throws(StorageError) {
        guard !amount.isZero else { throw .zeroAmount }
        guard var record = Storage.account(account, in: context) else { throw .unknownAccount(account) }
        guard let bonded = record.bonded.subtracting(amount) else { throw .insufficientBonded(account, needed: amount, bonded: record.bonded) }
        guard let unbonding = record.unbonding.adding(amount) else { throw .arithmeticOverflow("the unbonding amount") }
        let unlocksAt = context.environment.timestampMilliseconds.addingReportingOverflow(Storage.unbondingMilliseconds).partialValue
        record.bonded = bonded
        record.unbonding = unbonding
        record.unbondingUnlocksAt = unlocksAt
        context.set(Storage.accounts, account, record)
        context.emit(StorageEvent.unbonded(account, amount, unlocksAt: unlocksAt))
    }

    /// Returns the whole unbonding amount to the deposit once it has unlocked.
    /// - Throws: `.unknownAccount`, `.nothingUnbonding`, `.unbondingNotFinished`. Emits `.unbondedWithdrawn`.
    func withdrawUnbonded(by account: AccountID, context: inout CallContext) throws(StorageError) {
        guard var record = Storage.account(account, in: context) else { throw .unknownAccount(account) }
        guard !record.unbonding.isZero else { throw .nothingUnbonding(account) }
        let now = context.environment.timestampMilliseconds
        guard now >= record.unbondingUnlocksAt else { throw .unbondingNotFinished(account, unlocksAt: record.unbondingUnlocksAt, now: now) }
        let amount = record.unbonding
        guard let deposit = record.deposit.adding(amount) else { throw .arithmeticOverflow("the deposit") }
        record.deposit = deposit
        record.unbonding = .zero
        record.unbondingUnlocksAt = 0
        context.set(Storage.accounts, account, record)
        context.emit(StorageEvent.unbondedWithdrawn(account, amount))
    }

    /// Pays `amount` of the withdrawable deposit (what accrued rent has not claimed) back to the
    /// caller's free balance. Seed 004 had no such message; a user expects one.
    /// - Throws: `.zeroAmount`, `.unknownAccount`, `.insufficientWithdrawable`. Emits `.released`, `.withdrawn`.
    func withdraw(_ amount: Amount, by account: AccountID, context: inout CallContext) throws(StorageError) {
        guard !amount.isZero else { throw .zeroAmount }
        var record = try withdrawable(amount, of: account, context)
        record.deposit = record.deposit.subtracting(amount)!
        try payOut(amount, to: account, context: &context)
        context.set(Storage.accounts, account, record)
        context.emit(StorageEvent.withdrawn(account, amount))
    }

    /// The account, if `amount` is at most its withdrawable deposit.
    func withdrawable(_ amount: Amount, of account: AccountID, _ context: CallContext) throws(StorageError) -> StorageAccount {
        guard let status = Storage.status(of: account, in: context) else { throw .unknownAccount(account) }
        guard amount <= status.withdrawable else {
            throw .insufficientWithdrawable(account, needed: amount, withdrawable: status.withdrawable)
        }
        return status.account
    }

    // MARK: - Usage

    /// A node reports, signed with its own key, the bytes it has served from a bucket in all
    /// and the bytes it holds for it now. The new bytes served (plus any the bond could not pay
    /// before) are charged at the cluster's rate from the owner's bond, all or nothing; the
    /// protocol fee goes to the protocol, the rest to the node's earnings. Counters are
    /// cumulative, so a repeated report charges nothing.
    /// - Throws: `.unknownBucket`, `.unknownCluster`, `.notNodeOfBucketCluster`,
    ///   `.usageCounterWentBack`, `.arithmeticOverflow`. Emits `.usageReported`.
    func reportUsage(_ id: Identifier<StorageBucket>, servedTotal: UInt64, stored: UInt64, node: NodeKey,
                     context: inout CallContext) throws(StorageError) {
        let bucket = try existingBucket(id, context)
        let cluster = try existingCluster(bucket.cluster, context)
        guard Storage.node(node, in: context)?.cluster == bucket.cluster else { throw .notNodeOfBucketCluster(id, node: node) }
        var counter = Storage.usage(of: id, by: node, in: context)
        guard servedTotal >= counter.servedBytes else {
            throw .usageCounterWentBack(id, node: node, reported: servedTotal, last: counter.servedBytes)
        }
        let (billable, overflow) = (servedTotal - counter.servedBytes).addingReportingOverflow(counter.unbilledBytes)
        guard !overflow else { throw .arithmeticOverflow("the bytes to bill") }
        let usd = UInt128(billable) * UInt128(cluster.usageRatePerGB) / UInt128(Storage.bytesPerGB)
        guard let charge = Storage.exchangeRate(in: context).tokens(forUSD: usd) else { throw .arithmeticOverflow("the usage charge") }
        var account = Storage.account(bucket.owner, in: context) ?? StorageAccount()
        let paid = charge <= account.bonded
        let charged = paid ? charge : .zero
        let protocolPart = charged.share(basisPoints: Storage.fees(in: context).protocolBasisPoints)
        let earned = charged.subtracting(protocolPart)!
        guard let earnings = Storage.earnings(of: node, in: bucket.cluster, context: context).adding(earned),
              let revenue = Storage.protocolRevenue(in: context).adding(protocolPart) else {
            throw .arithmeticOverflow("the node's earnings")
        }
        account.bonded = account.bonded.subtracting(charged)!
        counter = UsageCounter(servedBytes: servedTotal, storedBytes: stored, unbilledBytes: paid ? 0 : billable)
        context.set(Storage.accounts, bucket.owner, account)
        context.set(Storage.usage, Pair(id, node), counter)
        context.set(Storage.earnings, Pair(bucket.cluster, node), earnings.isZero ? nil : earnings)
        context.set(Storage.protocolRevenue, Unit(), revenue.isZero ? nil : revenue)
        context.emit(StorageEvent.usageReported(id, node: node, servedBytes: servedTotal, storedBytes: stored, charged: charged,
                                                nodeEarned: earned, unbilledBytes: counter.unbilledBytes))
    }

    // MARK: - Administration

    /// - Throws: `.notRatePermitted`. Emits `.exchangeRateSet`.
    func setExchangeRate(_ rate: ExchangeRate, by actor: AccountID, context: inout CallContext) throws(StorageError) {
        guard Roles.has(.setExchangeRate, actor, in: context) else { throw .notRatePermitted(actor) }
        context.set(Storage.exchangeRate, Unit(), rate)
        context.emit(StorageEvent.exchangeRateSet(rate))
    }

    /// - Throws: `.notSuperAdmin`, `.feeTooHigh`, `.feeWithoutDestination`. Emits `.feesSet`.
    func setFees(_ fees: StorageFees, by actor: AccountID, context: inout CallContext) throws(StorageError) {
        guard Roles.has(.superAdmin, actor, in: context) else { throw .notSuperAdmin(actor) }
        for basisPoints in [fees.networkBasisPoints, fees.managementBasisPoints, fees.protocolBasisPoints]
        where basisPoints > StorageFees.basisPointsMax {
            throw .feeTooHigh(basisPoints: basisPoints)
        }
        guard fees.networkBasisPoints == 0 || fees.networkDestination != nil,
              fees.protocolBasisPoints == 0 || fees.protocolDestination != nil else { throw .feeWithoutDestination }
        context.set(Storage.fees, Unit(), fees)
        context.emit(StorageEvent.feesSet(fees))
    }

    /// Pays protocol revenue to the configured protocol destination.
    /// - Throws: `.notSuperAdmin`, `.zeroAmount`, `.feeWithoutDestination`,
    ///   `.insufficientProtocolRevenue`. Emits `.released`, `.protocolRevenueWithdrawn`.
    func withdrawProtocolRevenue(_ amount: Amount, by actor: AccountID, context: inout CallContext) throws(StorageError) {
        guard Roles.has(.superAdmin, actor, in: context) else { throw .notSuperAdmin(actor) }
        guard !amount.isZero else { throw .zeroAmount }
        guard let destination = Storage.fees(in: context).protocolDestination else { throw .feeWithoutDestination }
        let held = Storage.protocolRevenue(in: context)
        guard let remaining = held.subtracting(amount) else { throw .insufficientProtocolRevenue(needed: amount, held: held) }
        try payOut(amount, to: destination, context: &context)
        context.set(Storage.protocolRevenue, Unit(), remaining.isZero ? nil : remaining)
        context.emit(StorageEvent.protocolRevenueWithdrawn(amount, to: destination))
    }

    /// Pays from the module's escrow into an account's free balance.
    func payOut(_ amount: Amount, to account: AccountID, context: inout CallContext) throws(StorageError) {
        do { try Balances.release(amount, from: Storage.escrow, to: account, context: &context) } catch { throw .balances(error) }
    }
}
