import Crypto
import DMLBlobs
import DMLCore
import DMLLearning
import DMLLedger
import Foundation
import Hummingbird

/// `/v1/federated`: federated training jobs. A requester posts a plan (model, strategy,
/// rounds, devices, secure aggregation, differential privacy) with a reward per device per
/// round, escrowed on the ledger together with the plan's privacy spend; devices
/// (`dml fl worker`) exchange round messages with this server, which coordinates the job as its
/// validator (`FederatedCoordinator`). `/v1/privacy/budgets` sets a dataset's budget.
struct FederatedRoutes: Sendable {
    let server: APIServer
    var coordinator: FederatedCoordinator { server.federated }

    /// The evaluation CSV a requester may attach.
    static let evaluationBytesMax = 8 << 20
    static let exchangeBodyBytesMax = 64 << 20
    /// Evaluation rows × model parameters: the work of evaluating one round's model.
    static let evaluationWorkMax = 1 << 26

    func register(on router: Router<APIContext>) {
        let group = router.group("/v1/federated")
        group.post { request, context in try await create(request, context) }
        group.get { request, context in try await list(request, context) }
        group.get("/:id") { _, context in try await show(context) }
        group.post("/:id/exchange") { request, context in try await exchange(request, context) }
        group.get("/:id/model") { _, context in try await model(context) }
        group.get("/:id/report") { request, context in try await report(request, context) }
        group.post("/:id/publish") { request, context in try await publish(request, context) }
        group.post("/:id/close") { _, context in
            let id = try Self.id(context)
            _ = try await existing(id)
            let submitted = try await server.submit(FederatedCall.close(id).call, for: try context.requireUser())
            return try reply(WriteView(id: id.rawValue, transaction: submitted.receipt))
        }
        router.post("/v1/privacy/budgets") { request, context in try await setBudget(request, context) }
        router.get("/v1/privacy/budgets") { request, _ in try await budget(request) }
    }

    static func id(_ context: APIContext) throws -> Identifier<FederatedJob> {
        Identifier(try PathID.parse(context, what: "a federated job id"))
    }

    func existing(_ id: Identifier<FederatedJob>) async throws -> FederatedJob {
        guard let job = await server.ledger.reading({ Federated.job(id, in: $0) }) else {
            throw APIError.notFound("federated job \(id.rawValue)")
        }
        return job
    }

    /// `POST /v1/federated`: checks the plan, computes its privacy guarantee, escrows the
    /// rewards and spends the budget in one ledger call, then keeps the plan for the coordinator.
    func create(_ request: Request, _ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        let body = try await request.json(CreateFederatedBody.self, context: context, bytesMax: Self.evaluationBytesMax + (1 << 20))
        if let problem = body.plan.problem { throw APIError.invalid("plan", problem) }
        let reward = try Amounts.parse(body.rewardPerDevicePerRound, field: "rewardPerDevicePerRound")
        let delta = body.delta ?? 1e-5
        guard delta > 0, delta < 1e-2 else { throw APIError.invalid("delta", "δ must be in (0, 0.01)") }
        let guarantee: PrivacyGuarantee?
        do { guarantee = try body.plan.privacyGuarantee(delta: delta) } catch {
            throw APIError.invalid("plan", "its privacy guarantee cannot be computed: \(error)")
        }
        // No budget holds more than ε = 10⁶ (PrivacyV1.epsilonMicrosMax): a plan that states more
        // promises nothing and would not fit the ledger's integer.
        if let guarantee, guarantee.epsilon > 1e6 {
            throw APIError.invalid("plan", String(format: "its guarantee is ε = %.3g, more than any budget holds (10⁶); add noise", guarantee.epsilon))
        }
        var dataset: DatasetName?
        if let name = body.dataset {
            guard let parsed = DatasetName(name) else { throw APIError.invalid("dataset", DatasetName.problem(name) ?? "not a dataset name") }
            dataset = parsed
        }
        if guarantee != nil, dataset == nil {
            throw APIError.invalid("dataset", "a plan with differential privacy names the dataset whose budget it spends")
        }
        var evaluation: [UInt8]?
        if let csv = body.evaluationCSV {
            guard csv.utf8.count <= Self.evaluationBytesMax else { throw APIError.invalid("evaluationCSV", "at most \(Self.evaluationBytesMax) bytes") }
            let data: Dataset
            do { data = try Dataset.csv(csv, scale: body.evaluationScale ?? 1) } catch {
                throw APIError.invalid("evaluationCSV", error.description)
            }
            guard data.features.columns == body.plan.model.inputs, data.labels.allSatisfy({ $0 < body.plan.model.classes }) else {
                throw APIError.invalid("evaluationCSV", "rows need \(body.plan.model.inputs) features and a label below \(body.plan.model.classes)")
            }
            // Each round evaluates every row through the model on the coordinator.
            guard data.count * body.plan.model.parameterCount <= Self.evaluationWorkMax else {
                throw APIError.invalid("evaluationCSV", "rows × parameters must be at most \(Self.evaluationWorkMax); send fewer rows")
            }
            evaluation = Array(data.csvText().utf8)
        }
        let (planText, digest) = try body.plan.canonicalJSON()
        let epsilonMicros = guarantee.map { UInt64(($0.epsilon * 1e6).rounded(.up)) } ?? 0
        let draft = FederatedDraft(plan: digest, rounds: UInt32(body.plan.rounds), devicesPerRound: UInt32(body.plan.devicesPerRound),
                                   rewardPerDevicePerRound: reward, deadline: body.deadlineMilliseconds, validator: server.jobs.validator.account,
                                   dataset: dataset, epsilonMicros: epsilonMicros,
                                   deltaPicos: guarantee == nil ? 0 : UInt64((delta * 1e12).rounded()))
        try await server.federatedStore.savePlan(digest: digest.hex, plan: planText)
        let submitted = try await server.submit(FederatedCall.create(draft).call, for: user)
        guard let id = submitted.inclusion.events.lazy.compactMap({ event -> UInt64? in
            if case .created(let id, _, _) = FederatedEvent(event) { id.rawValue } else { nil }
        }).first else { throw APIError(.internalServerError, "federated.no_id", "the ledger accepted the job without an id") }
        try await server.federatedStore.save(job: id, plan: planText, evaluation: evaluation, delta: delta,
                                             epsilon: guarantee?.epsilon, now: server.now())
        return try reply(WriteView(id: id, transaction: submitted.receipt), status: .created)
    }

    /// `GET /v1/federated?status=open|completed|closed&limit=&offset=`, newest first.
    func list(_ request: Request, _ context: APIContext) async throws -> Response {
        let limit = try request.query("limit", 20, in: 1...100)
        let offset = try request.query("offset", 0, in: 0...1_000_000)
        let status = request.uri.queryParameters["status"].map(String.init)
        if let status, !["open", "completed", "closed"].contains(status) {
            throw APIError.badRequest("request.bad_query", "status must be open, completed or closed", field: "status")
        }
        let matching = await server.ledger.reading { state -> [(Identifier<FederatedJob>, FederatedJob)] in
            stride(from: Federated.lastJob(in: state), to: 0, by: -1).compactMap { raw in
                let id = Identifier<FederatedJob>(raw)
                return Federated.job(id, in: state).map { (id, $0) }
            }.filter { status == nil || "\($0.1.status)" == status }
        }
        let items = matching.dropFirst(offset).prefix(limit).map { FederatedJobView(id: $0.0, job: $0.1) }
        return try reply(Page(items: Array(items), total: matching.count, limit: limit, offset: offset))
    }

    /// `GET /v1/federated/{id}`: the ledger's record, the plan, the current round and the recorded rounds.
    func show(_ context: APIContext) async throws -> Response {
        let id = try Self.id(context)
        let job = try await existing(id)
        var view = FederatedJobView(id: id, job: job)
        if let stored = try await server.federatedStore.job(id.rawValue, planDigest: job.draft.plan.hex) {
            view.planDetails = try? JSONDecoder().decode(FederatedPlan.self, from: Data(stored.plan.utf8))
            view.epsilon = stored.epsilon
            view.delta = stored.delta
        }
        view.recorded = try await server.federatedStore.rounds(job: id.rawValue).compactMap {
            try? JSONDecoder().decode(RoundRecord.self, from: Data($0.metrics.utf8))
        }
        if server.ledger.isSequencer, job.status == .open, let progress = await coordinator.progress(id) {
            view.currentRound = progress.round
            view.phase = progress.phase
            view.joined = progress.joined
        }
        return try reply(view)
    }

    /// `POST /v1/federated/{id}/exchange`: a device's step in the current round (see `ExchangeBody`),
    /// waiting up to `waitSeconds` for the round to move on.
    func exchange(_ request: Request, _ context: APIContext) async throws -> Response {
        let device = try context.requireUser().account
        let id = try Self.id(context)
        let body = try await request.json(ExchangeBody.self, context: context, bytesMax: Self.exchangeBodyBytesMax)
        let wait = body.waitSeconds ?? 0
        guard (0...25).contains(wait) else { throw APIError.invalid("waitSeconds", "0 to 25 seconds") }
        guard server.ledger.isSequencer else {
            throw APIError(.serviceUnavailable, "federated.not_coordinator", "federated rounds are coordinated by the sequencing process; retry")
        }
        let job = try await existing(id)
        guard job.requester != device else {
            throw APIError(.forbidden, "federated.requester_cannot_train", "the requester of federated job \(id.rawValue) cannot train in it")
        }
        let giveUp = server.now() + UInt64(min(wait, server.configuration.jobWaitMaxSeconds)) * 1_000
        var answer = try await coordinator.exchange(id, device: device, body: body, now: server.now())
        // Later polls carry no payload: it was taken (or refused) on the first pass — except a
        // join, which may have come early for a round not open yet (joining twice is harmless).
        let poll = body.phase == .join ? body
            : ExchangeBody(round: body.round, phase: body.phase, waitSeconds: nil, advertisement: nil, shares: nil,
                           parameters: nil, examples: nil, loss: nil, masked: nil, unmask: nil)
        while answer.status == .wait, server.now() < giveUp, !server.isDraining {
            try await Task.sleep(for: .milliseconds(50))
            answer = try await coordinator.exchange(id, device: device, body: poll, now: server.now())
        }
        return try reply(answer)
    }

    /// `GET /v1/federated/{id}/model`: the newest recorded model's weights file, for the requester and moderators.
    func model(_ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        let id = try Self.id(context)
        let job = try await existing(id)
        // The requester's model (which it may sell in the marketplace); devices get each
        // round's model through the exchange.
        if job.requester != user.account {
            try await server.require(.moderator, user, to: "download another requester's federated model")
        }
        guard let last = try await server.federatedStore.rounds(job: id.rawValue).last,
              let model = await coordinator.loadModel(cid: last.model) else {
            throw APIError.notFound("a model of federated job \(id.rawValue) (no round is recorded yet)")
        }
        return Response(status: .ok, headers: [.contentType: "application/octet-stream"],
                        body: .init(byteBuffer: .init(bytes: ModelWeights.encode(model))))
    }

    /// `GET /v1/federated/{id}/report?format=html|csv|json`.
    func report(_ request: Request, _ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        let id = try Self.id(context)
        let format = request.uri.queryParameters["format"].map(String.init) ?? "html"
        guard ["html", "csv", "json"].contains(format) else {
            throw APIError.badRequest("request.bad_query", "format must be html, csv or json", field: "format")
        }
        let job = try await existing(id)
        if job.requester != user.account {
            try await server.require(.moderator, user, to: "read the report of another requester's federated job")
        }
        guard let stored = try await server.federatedStore.job(id.rawValue, planDigest: job.draft.plan.hex),
              let plan = try? JSONDecoder().decode(FederatedPlan.self, from: Data(stored.plan.utf8)) else {
            throw APIError.notFound("the plan of federated job \(id.rawValue) on this server")
        }
        let rounds = try await server.federatedStore.rounds(job: id.rawValue).compactMap {
            try? JSONDecoder().decode(RoundRecord.self, from: Data($0.metrics.utf8))
        }
        let payouts = await server.ledger.reading { state in
            (0..<job.roundsRecorded).compactMap { index -> FederatedReport.RoundPayout? in
                Federated.round(id, index + 1, in: state).map {
                    FederatedReport.RoundPayout(round: Int(index + 1), devices: $0.devices.map(\.address), paid: String($0.paid.baseUnits))
                }
            }
        }
        let total = payouts.compactMap { UInt64($0.paid) }.reduce(0, +)
        let report = FederatedReport(job: id.rawValue, status: "\(job.status)", plan: plan,
                                     privacy: try? plan.privacyGuarantee(delta: stored.delta),
                                     epsilonByRound: FederatedReport.epsilonByRound(plan: plan, rounds: rounds, delta: stored.delta),
                                     rounds: rounds, payouts: payouts,
                                     totalPaid: String(total), rewardsHeld: String(job.rewardsHeld.baseUnits), finalModel: job.finalModel?.hex)
        switch format {
        case "csv":
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: .init(byteBuffer: .init(string: report.csv)))
        case "json":
            return try reply(report)
        default:
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: .init(string: report.html)))
        }
    }

    /// `POST /v1/federated/{id}/publish` `{title, description, dataRequired?, tags?, price, deviceFee?}`:
    /// lists a completed job's final model in the marketplace, by its requester (a listing like
    /// any other: reviewed by a moderator before it can be bought).
    func publish(_ request: Request, _ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        let id = try Self.id(context)
        let body = try await request.json(ModelListingBody.self, context: context)
        let job = try await existing(id)
        guard job.requester == user.account else {
            throw APIError(.forbidden, "federated.not_requester", "only the requester of federated job \(id.rawValue) lists its model")
        }
        guard job.status == .completed, let final = job.finalModel,
              let last = try await server.federatedStore.rounds(job: id.rawValue).last,
              let model = await coordinator.loadModel(cid: last.model), ModelWeights.address(of: model) == final else {
            throw APIError.conflict("federated.no_final_model", "federated job \(id.rawValue) has no final model on this server yet (it is \(job.status))")
        }
        // The requester holds the model its job trained (checked against the ledger above).
        if let cid = ContentID(last.model) { try await server.holders.record(cid, holder: user.account, source: .federated, now: server.now()) }
        let artifact = try await server.heldArtifact(last.model, field: "model", by: user.account)
        let draft = AlgorithmBody(title: body.title, description: body.description, dataRequired: body.dataRequired, tags: body.tags,
                                  price: body.price, deviceFee: body.deviceFee, artifact: last.model)
        let submitted = try await server.submit(MarketplaceCall.publish(try draft.draft(artifact: artifact)).call, for: user)
        let listed = submitted.inclusion.events.lazy.compactMap { event -> UInt64? in
            if case .published(let id, _, _) = MarketplaceEvent(event) { id.rawValue } else { nil }
        }.first
        return try reply(WriteView(id: listed, transaction: submitted.receipt), status: .created)
    }

    /// `POST /v1/privacy/budgets` `{"dataset", "epsilon", "deltaMax"}`: creates (the caller
    /// becomes the owner) or changes a dataset's budget.
    func setBudget(_ request: Request, _ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        let body = try await request.json(BudgetBody.self, context: context)
        guard let dataset = DatasetName(body.dataset) else {
            throw APIError.invalid("dataset", DatasetName.problem(body.dataset) ?? "not a dataset name")
        }
        guard body.epsilon.isFinite, body.epsilon >= 0, body.epsilon <= 1e6 else { throw APIError.invalid("epsilon", "0 to 1000000") }
        let deltaMax = body.deltaMax ?? 1e-5
        guard deltaMax.isFinite, deltaMax >= 0, deltaMax < 1 else { throw APIError.invalid("deltaMax", "in [0, 1)") }
        let call = PrivacyCall.setBudget(dataset, epsilonMicros: UInt64((body.epsilon * 1e6).rounded(.down)),
                                         deltaPicosMax: UInt64((deltaMax * 1e12).rounded()))
        let submitted = try await server.submit(call.call, for: user)
        return try reply(WriteView(id: nil, transaction: submitted.receipt), status: .created)
    }

    /// `GET /v1/privacy/budgets?dataset=NAME` (a query: names contain slashes).
    func budget(_ request: Request) async throws -> Response {
        guard let name = request.uri.queryParameters["dataset"].map(String.init) else {
            throw APIError.badRequest("request.bad_query", "name the dataset: ?dataset=NAME", field: "dataset")
        }
        guard let dataset = DatasetName(name) else { throw APIError.invalid("dataset", DatasetName.problem(name) ?? "not a dataset name") }
        guard let budget = await server.ledger.reading({ Privacy.budget(dataset, in: $0) }) else {
            throw APIError.notFound("a privacy budget for \(name)")
        }
        return try reply(BudgetView(dataset: name, owner: budget.owner.address, epsilon: Double(budget.epsilonMicros) / 1e6,
                                    spent: Double(budget.spentMicros) / 1e6, deltaMax: Double(budget.deltaPicosMax) / 1e12))
    }
}

struct ModelListingBody: Decodable, Sendable {
    let title: String
    let description: String
    let dataRequired: String?
    let tags: [String]?
    let price: String
    let deviceFee: String?
}

struct BudgetBody: Decodable, Sendable {
    let dataset: String
    let epsilon: Double
    let deltaMax: Double?
}

struct BudgetView: Codable, Sendable {
    let dataset: String
    let owner: String
    let epsilon: Double
    let spent: Double
    let deltaMax: Double
}

/// A federated job as the API shows it.
struct FederatedJobView: Codable, Sendable {
    let id: UInt64
    let requester: String
    let status: String
    let plan: String
    let rounds: UInt32
    let devicesPerRound: UInt32
    let rewardPerDevicePerRound: String
    let rewardsHeld: String
    let deadlineMilliseconds: UInt64
    let validator: String
    let dataset: String?
    let roundsRecorded: UInt32
    let finalModel: String?
    var planDetails: FederatedPlan?
    var epsilon: Double?
    var delta: Double?
    var recorded: [RoundRecord]?
    var currentRound: Int?
    var phase: String?
    var joined: Int?

    init(id: Identifier<FederatedJob>, job: FederatedJob) {
        self.id = id.rawValue
        requester = job.requester.address
        status = "\(job.status)"
        plan = job.draft.plan.hex
        rounds = job.draft.rounds
        devicesPerRound = job.draft.devicesPerRound
        rewardPerDevicePerRound = String(job.draft.rewardPerDevicePerRound.baseUnits)
        rewardsHeld = String(job.rewardsHeld.baseUnits)
        deadlineMilliseconds = job.draft.deadline
        validator = job.draft.validator.address
        dataset = job.draft.dataset?.rawValue
        roundsRecorded = job.roundsRecorded
        finalModel = job.finalModel?.hex
    }
}
