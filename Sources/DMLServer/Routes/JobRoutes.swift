import DMLBlobs
import DMLCore
import DMLLedger
import DMLNode
import DMLSandbox
import DMLSystem
import Foundation
import Hummingbird

/// `/v1/jobs`: a requester escrows `rewardPerDevice × devices` for an algorithm package;
/// devices (`dml worker`) take leases, run the package on their own data and send the output
/// with a signed run receipt; the server checks each result — and re-runs challenges and
/// disclosed inputs in its own sandbox — before it pays, as the job's validator, through the
/// ledger. `GET /v1/jobs/{id}/report` aggregates what was paid for.
struct JobRoutes: Sendable {
    let server: APIServer
    var jobs: JobService { server.jobs }

    /// The most a result body may carry: a 16 MiB output in base64, with its receipts.
    static let resultBodyBytesMax = 24 << 20
    /// An unpaid stored result older than this was left by a process that died mid-request.
    static let staleResultMilliseconds: UInt64 = 120_000

    func register(on router: Router<APIContext>) {
        let group = router.group("/v1/jobs")
        group.post { request, context in try await create(request, context) }
        group.get { request, context in try await list(request, context) }
        group.post("/work") { request, context in try await work(request, context) }
        group.get("/:id") { _, context in
            let id = try Self.id(context)
            let job = try await existing(id)
            let live = try await jobs.board.liveLeases(job: id.rawValue, now: server.now())
            return try reply(JobView(id: id, job: job, liveLeases: live))
        }
        group.get("/:id/package") { _, context in try await package(context) }
        group.post("/:id/results") { request, context in try await submit(request, context) }
        group.get("/:id/results") { _, context in try await results(context) }
        group.get("/:id/report") { request, context in try await report(request, context) }
        group.post("/:id/close") { _, context in
            let id = try Self.id(context)
            _ = try await existing(id)
            let submitted = try await server.submit(JobsCall.close(id).call, for: try context.requireUser())
            return try reply(WriteView(id: id.rawValue, transaction: submitted.receipt))
        }
    }

    static func id(_ context: APIContext) throws -> Identifier<Job> {
        Identifier(try PathID.parse(context, what: "a job id"))
    }

    func existing(_ id: Identifier<Job>) async throws -> Job {
        guard let job = await server.ledger.reading({ Jobs.job(id, in: $0) }) else { throw APIError.notFound("job \(id.rawValue)") }
        return job
    }

    /// `POST /v1/jobs`: the requester must be the algorithm's creator or a buyer, and its
    /// artifact must be an algorithm package.
    func create(_ request: Request, _ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        let body = try await request.json(CreateJobBody.self, context: context)
        let reward = try Amounts.parse(body.rewardPerDevice, field: "rewardPerDevice")
        guard body.algorithm > 0, body.algorithm <= UInt64(Int64.max) else { throw APIError.invalid("algorithm", "a marketplace algorithm id") }
        let algorithmID = Identifier<DMLLedger.Algorithm>(body.algorithm)
        let (algorithm, bought) = await server.ledger.reading { state in
            (Marketplace.algorithm(algorithmID, in: state), Marketplace.purchase(algorithmID, by: user.account, in: state) != nil)
        }
        guard let algorithm else { throw APIError.invalid("algorithm", "there is no algorithm \(body.algorithm)") }
        guard algorithm.status == .active else {
            throw APIError.conflict("jobs.algorithm_not_active", "algorithm \(body.algorithm) is \(algorithm.status), not active")
        }
        guard algorithm.creator == user.account || bought else {
            throw APIError(.forbidden, "jobs.algorithm_not_owned", "buy algorithm \(body.algorithm) before running it in a job")
        }
        guard let listed = try? ContentID(bytes: algorithm.draft.artifact.bytes), try await server.holders.holds(listed, algorithm.creator) else {
            throw APIError(.forbidden, "artifacts.not_entitled",
                           "algorithm \(body.algorithm) names an artifact its creator never uploaded here; it cannot run")
        }
        let package = try await jobs.package(artifact: algorithm.draft.artifact, expected: nil, artifacts: server.artifacts)
        let draft = JobDraft(algorithm: package.address, artifact: algorithm.draft.artifact, devices: body.devices,
                             rewardPerDevice: reward, deadline: body.deadlineMilliseconds, validator: jobs.validator.account,
                             requirements: body.requirements ?? "")
        let submitted = try await server.submit(JobsCall.create(draft).call, for: user)
        let id = submitted.inclusion.events.lazy.compactMap { event -> UInt64? in
            if case .created(let id, _, _) = JobsEvent(event) { id.rawValue } else { nil }
        }.first
        if let id { try await server.holders.vet(job: id, now: server.now()) }
        return try reply(WriteView(id: id, transaction: submitted.receipt), status: .created)
    }

    /// `GET /v1/jobs?status=open|completed|closed&mine=true&limit=&offset=`, newest first.
    func list(_ request: Request, _ context: APIContext) async throws -> Response {
        let limit = try request.query("limit", 20, in: 1...100)
        let offset = try request.query("offset", 0, in: 0...1_000_000)
        let status = request.uri.queryParameters["status"].map(String.init)
        if let status, !["open", "completed", "closed"].contains(status) {
            throw APIError.badRequest("request.bad_query", "status must be open, completed or closed", field: "status")
        }
        let mine = request.uri.queryParameters["mine"] == "true"
        let me = mine ? try context.requireUser().account : nil
        let matching = await server.ledger.reading { state -> [(Identifier<Job>, Job)] in
            let ids: [Identifier<Job>] = if let me { Jobs.jobs(by: me, in: state).reversed() } else {
                stride(from: Jobs.lastJob(in: state), to: 0, by: -1).map { Identifier<Job>($0) }
            }
            return ids.compactMap { id in Jobs.job(id, in: state).map { (id, $0) } }
                .filter { status == nil || "\($0.1.status)" == status }
        }
        let items = matching.dropFirst(offset).prefix(limit).map { JobView(id: $0.0, job: $0.1) }
        return try reply(Page(items: Array(items), total: matching.count, limit: limit, offset: offset))
    }

    /// `POST /v1/jobs/work`: the oldest open job this device may still work on, with a lease;
    /// 204 when there is none within `waitSeconds`. Asking again while a lease is live returns
    /// that lease, so a restarted device resumes its work. The server may cap the wait
    /// (`jobWaitMaxSeconds`).
    func work(_ request: Request, _ context: APIContext) async throws -> Response {
        let device = try context.requireUser().account
        let body = try await request.json(WorkBody.self, context: context)
        let wait = body.waitSeconds ?? 0
        guard (0...25).contains(wait) else { throw APIError.invalid("waitSeconds", "0 to 25 seconds") }
        let giveUp = server.now() + UInt64(min(wait, server.configuration.jobWaitMaxSeconds)) * 1_000
        while true {
            if let view = try await nextLease(for: device) { return try reply(view) }
            guard server.now() < giveUp, !server.isDraining else { return Response(status: .noContent) }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    private func nextLease(for device: AccountID) async throws -> WorkView? {
        let now = server.now()
        let open = await server.ledger.reading { state -> [(Identifier<Job>, Job, Bool)] in
            stride(from: 1, through: Jobs.lastJob(in: state), by: 1).compactMap { raw -> (Identifier<Job>, Job, Bool)? in
                let id = Identifier<Job>(raw)
                guard let job = Jobs.job(id, in: state), job.status == .open, job.draft.deadline > now,
                      job.requester != device else { return nil }
                return (id, job, Jobs.payment(id, device: device, in: state) != nil)
            }
        }
        for (id, job, paid) in open where !paid {
            // A job whose requester has no right to its package (a self-signed job naming someone
            // else's CID) is never leased: its package would go to whoever asked.
            guard try await server.holders.mayServePackage(of: id, job.draft, requester: job.requester) else { continue }
            if let lease = try await jobs.board.lease(job: id.rawValue, device: device) {
                if lease.done { continue }
                if lease.expiresAt >= now { return try await view(lease, id, job) }
            }
            let live = try await jobs.board.liveLeases(job: id.rawValue, now: now)
            guard UInt32(clamping: live) + job.accepted < job.draft.devices else { continue }
            // A job whose package this process cannot read is skipped, not allowed to block the others.
            guard let package = try? await jobs.package(artifact: job.draft.artifact, expected: job.draft.algorithm,
                                                        artifacts: server.artifacts) else {
                server.logger.warning("job \(id.rawValue): its package cannot be read here; skipping it")
                continue
            }
            let expires = min(now + jobs.leaseMilliseconds, job.draft.deadline)
            guard let lease = try await jobs.board.grant(job: id.rawValue, device: device, challenge: jobs.challenge(for: package.manifest),
                                                         expiresAt: expires, now: now) else { continue }
            return try await view(lease, id, job)
        }
        return nil
    }

    private func view(_ lease: JobBoard.Lease, _ id: Identifier<Job>, _ job: Job) async throws -> WorkView {
        let package = try await jobs.package(artifact: job.draft.artifact, expected: job.draft.algorithm, artifacts: server.artifacts)
        return WorkView(lease: lease.id, job: id.rawValue, nonce: lease.nonce.hex, expiresAtMilliseconds: lease.expiresAt,
                        algorithm: job.draft.algorithm.hex, artifact: JobService.cid(job.draft.artifact),
                        package: "/v1/jobs/\(id.rawValue)/package", manifest: ManifestSummary(package.manifest),
                        challenge: lease.challenge.map { Data($0).base64EncodedString() })
    }

    /// `GET /v1/jobs/{id}/package`: for the requester, moderators and devices holding a lease.
    func package(_ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        let id = try Self.id(context)
        let job = try await existing(id)
        if job.requester != user.account, try await jobs.board.lease(job: id.rawValue, device: user.account) == nil {
            try await server.require(.moderator, user, to: "download the package of a job without a lease on it")
        }
        guard let cid = try? ContentID(bytes: job.draft.artifact.bytes) else { throw APIError.notFound("the job's package") }
        guard try await server.holders.mayServePackage(of: id, job.draft, requester: job.requester) else {
            throw APIError(.forbidden, "artifacts.not_entitled",
                           "job \(id.rawValue) names a package its requester neither uploaded nor bought here; it serves nothing")
        }
        return try server.streamArtifact(cid)
    }

    /// `POST /v1/jobs/{id}/results`: checked, then paid through the ledger by the validator.
    func submit(_ request: Request, _ context: APIContext) async throws -> Response {
        let device = try context.requireUser().account
        let id = try Self.id(context)
        let body = try await request.json(ResultBody.self, context: context, bytesMax: Self.resultBodyBytesMax)
        let job = try await existing(id)
        guard job.status == .open else { throw APIError.conflict("jobs.job_not_open", "job \(id.rawValue) is \(job.status)") }
        guard let lease = try await jobs.board.lease(job: id.rawValue, device: device), lease.id == body.lease else {
            throw APIError.conflict("jobs.no_lease", "you hold no lease '\(body.lease)' on job \(id.rawValue): ask POST /v1/jobs/work")
        }
        // A result kept but never paid (the process died between the two) is dropped once it is
        // older than any request could be, unless the ledger did pay it; then the device resends.
        if let kept = try await jobs.board.unpaidResultTime(job: id.rawValue, device: device), kept + Self.staleResultMilliseconds < server.now(),
           await server.ledger.reading({ Jobs.payment(id, device: device, in: $0) }) == nil {
            try await jobs.board.deleteResult(job: id.rawValue, device: device)
        }
        guard !lease.done, try await !jobs.board.hasResult(job: id.rawValue, device: device) else {
            throw APIError.conflict("jobs.duplicate_result", "you already sent your result for job \(id.rawValue): one per device")
        }
        guard lease.expiresAt >= server.now() else {
            throw APIError.conflict("jobs.lease_expired", "your lease on job \(id.rawValue) expired; the work may have gone to another device")
        }
        guard let output = Data(base64Encoded: body.output).map({ [UInt8]($0) }) else {
            throw APIError.invalid("output", "base64 of the output bytes")
        }
        let package = try await jobs.package(artifact: job.draft.artifact, expected: job.draft.algorithm, artifacts: server.artifacts)
        let checks = try await jobs.check(body, output: output, lease: lease, package: package, device: device)
        let receiptJSON = String(decoding: try JSONEncoder().encode(body.receipt), as: UTF8.self)
        // Keep the output before paying: a crash in between leaves an unpaid result (dropped
        // when the device sends again, above), never a payment without its output.
        do {
            try await jobs.board.addResult(job: id.rawValue, JobBoard.StoredResult(
                device: device, output: output, receipt: receiptJSON, challenged: checks.challenged, audited: checks.audited,
                transaction: "", height: 0, createdAt: server.now()))
        } catch {
            // Two copies of one result racing: the second finds the first's row.
            if try await jobs.board.hasResult(job: id.rawValue, device: device) {
                throw APIError.conflict("jobs.duplicate_result", "you already sent your result for job \(id.rawValue): one per device")
            }
            throw error
        }
        let inclusion: LedgerService.Inclusion
        do {
            inclusion = try await server.gateway.submit(
                JobsCall.accept(id, device: device, receipt: body.receipt.digest, output: body.receipt.outputDigest).call, as: jobs.validator)
        } catch {
            try? await jobs.board.deleteResult(job: id.rawValue, device: device)
            throw error
        }
        let receipt = TransactionReceipt(inclusion)
        try await jobs.board.markPaid(job: id.rawValue, device: device, transaction: receipt.hash, height: receipt.height)
        try await jobs.board.finish(lease: lease)
        _ = try? await server.indexer.catchUp()
        return try reply(AcceptedView(job: id.rawValue, device: device.address, paid: String(job.draft.rewardPerDevice.baseUnits),
                                      challenged: checks.challenged, audited: checks.audited, transaction: receipt), status: .created)
    }

    /// `GET /v1/jobs/{id}/results`: every result for the requester and moderators; a device sees its own.
    func results(_ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        let id = try Self.id(context)
        let job = try await existing(id)
        var only: AccountID? = nil
        if job.requester != user.account, await !server.ledger.reading({ Roles.has(.moderator, user.account, in: $0) }) {
            only = user.account
        }
        let stored = try await jobs.board.results(job: id.rawValue, device: only)
        let items = stored.map { result in
            ResultView(job: id.rawValue, device: result.device.address,
                       output: OutputCodec.vector(result.output), outputDigest: Hash256.of(result.output).hex,
                       receipt: result.receipt, challenged: result.challenged, audited: result.audited,
                       transaction: result.transaction, height: result.height, createdAtMilliseconds: result.createdAt)
        }
        return try reply(Page(items: items, total: items.count, limit: items.count, offset: 0))
    }

    /// `GET /v1/jobs/{id}/report?format=html|csv|json`, for the requester and moderators.
    func report(_ request: Request, _ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        let id = try Self.id(context)
        let format = request.uri.queryParameters["format"].map(String.init) ?? "html"
        guard ["html", "csv", "json"].contains(format) else {
            throw APIError.badRequest("request.bad_query", "format must be html, csv or json", field: "format")
        }
        let job = try await existing(id)
        if job.requester != user.account {
            try await server.require(.moderator, user, to: "read the report of another requester's job")
        }
        let package = try await jobs.package(artifact: job.draft.artifact, expected: job.draft.algorithm, artifacts: server.artifacts)
        let payments = await server.ledger.reading { Jobs.payments(of: id, in: $0) }
        let stored = try await jobs.board.results(job: id.rawValue)
        // A reducer module is untrusted code, bounded by fuel: it runs on a thread of its own, never
        // on the cooperative pool that every other request needs.
        let reducer = jobs.reducer
        let report = await Blocking.run("dml.report") {
            JobReport.make(id: id, job: job, package: package, results: stored, ledgerPayments: payments, sandbox: reducer)
        }
        switch format {
        case "csv":
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: .init(byteBuffer: .init(string: report.csv)))
        case "json":
            return try reply(report)
        default:
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: .init(string: report.html)))
        }
    }
}
