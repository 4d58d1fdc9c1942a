import DMLBlobs
import DMLCore
import DMLLearning
import DMLLedger
import DMLNode
import Foundation
import Logging

/// Runs the rounds of the federated jobs this server validates: admits devices, relays
/// secure-aggregation messages (it never holds a device's update, only the masked ones and
/// their sum), moves phases on when everyone answered or time is up, aggregates, evaluates on
/// the requester's data, stores each round's model, and pays the round's devices through the
/// ledger as the job's validator.
///
/// Rounds advance as devices ask (every request is also a clock tick), so no background task
/// is needed. One process coordinates: the sequencer (decision 0010); a round in progress
/// when it stops starts over in the next coordinator, from the last recorded round's model.
actor FederatedCoordinator {
    struct Settings: Sendable {
        /// How long a round waits for `devicesPerRound` devices before starting with the minimum.
        var joinMilliseconds: UInt64 = 5_000
        /// How long each later phase waits for every expected device.
        var phaseMilliseconds: UInt64 = 30_000
    }

    /// One job's coordination state.
    struct Run {
        let id: Identifier<FederatedJob>
        let plan: FederatedPlan
        let evaluation: Dataset?
        var state: RoundState?
        /// The last closed round and the devices it aggregated (they are told `done`).
        var lastClosed: (round: Int, devices: Set<String>)?
        var closing = false
        var finished = false
        /// A round aggregated and stored but not yet on the ledger (the ledger was busy): it is
        /// recorded as it is, never aggregated again — a second sum over an overlapping set of
        /// devices would leak the difference.
        var pending: PendingRound?
        var roundStartedMilliseconds: UInt64
    }

    /// A closed round waiting to be recorded on the ledger.
    struct PendingRound: Sendable {
        let round: Int
        let model: Model
        let cid: String
        let outcome: RoundState.Outcome
        let evaluation: Evaluation?
    }

    let store: FederatedStore
    let ledger: LedgerAccess
    let gateway: LedgerGateway
    let artifacts: FileBlobStore
    let validator: AccountKey
    let settings: Settings
    let logger: Logger
    private var runs: [UInt64: Run] = [:]

    init(store: FederatedStore, ledger: LedgerAccess, gateway: LedgerGateway, artifacts: FileBlobStore,
         validator: AccountKey, settings: Settings, logger: Logger) {
        self.store = store
        self.ledger = ledger
        self.gateway = gateway
        self.artifacts = artifacts
        self.validator = validator
        self.settings = settings
        self.logger = logger
    }

    /// The job's current round and phase (for `GET /v1/federated/{id}`), when a device has
    /// started it here (reading does not load a job: only devices' exchanges do).
    func progress(_ id: Identifier<FederatedJob>) -> (round: Int, phase: String, joined: Int)? {
        guard let run = runs[id.rawValue] else { return nil }
        if run.finished { return (run.plan.rounds, "finished", 0) }
        return (run.state?.round ?? 0, run.state?.phase.rawValue ?? "joining", run.state?.joined.count ?? 0)
    }

    /// One device step (see `ExchangeBody`): applies its payload, moves the round on, and says
    /// what the device does next.
    func exchange(_ id: Identifier<FederatedJob>, device: AccountID, body: ExchangeBody, now: UInt64) async throws(APIError) -> ExchangeReply {
        guard var run = try await run(id, now: now) else {
            throw APIError.conflict("federated.not_coordinated", "federated job \(id.rawValue) has no plan on this server or is not open")
        }
        let name = device.address
        if run.finished { return ExchangeReply(status: .finished, round: run.plan.rounds, phase: "finished") }
        guard var state = run.state else { return ExchangeReply(status: .wait, round: body.round, phase: "closing") }
        if let closed = run.lastClosed, closed.round == body.round, state.round != body.round {
            return ExchangeReply(status: closed.devices.contains(name) ? .done : .rejoin, round: state.round, phase: state.phase.rawValue)
        }
        if body.round > state.round, body.phase == .join {
            // Early for the next round: wait for it to open.
            return ExchangeReply(status: .wait, round: state.round, phase: state.phase.rawValue)
        }
        guard body.round == state.round else {
            return ExchangeReply(status: .rejoin, round: state.round, phase: state.phase.rawValue,
                                 message: "round \(state.round) is the current round")
        }
        // The device's message: a refusal is about the device (it rejoins, or its message is wrong).
        do throws(RoundRefusal) {
            try apply(body, from: name, to: &state)
        } catch {
            switch error {
            case .notInRound(let message):
                return ExchangeReply(status: .rejoin, round: state.phase == .joining ? state.round : state.round + 1,
                                     phase: state.phase.rawValue, message: message)
            case .invalid(let message), .tooFew(let message):
                throw APIError(.unprocessableContent, "federated.invalid_message", message)
            case .secure(let error):
                throw APIError(.unprocessableContent, "federated.secure_aggregation", "\(error)")
            }
        }
        // The clock: a failure here is the round's (too few devices in time), so it starts over.
        do throws(RoundRefusal) {
            try state.advance(now: now, joinMilliseconds: settings.joinMilliseconds, phaseMilliseconds: settings.phaseMilliseconds)
        } catch {
            let reason: String = switch error {
            case .notInRound(let message), .invalid(let message), .tooFew(let message): message
            case .secure(let secure): "\(secure)"
            }
            logger.warning("federated job \(id.rawValue) round \(state.round): \(reason); the round starts over")
            run.state = try restart(run, round: state.round, global: state.global, now: now)
            runs[id.rawValue] = run
            return ExchangeReply(status: .rejoin, round: state.round, phase: "joining", message: reason + "; the round starts over")
        }
        run.state = state
        runs[id.rawValue] = run
        if state.phase == .closing && !run.closing {
            try await closeRound(id, now: now)
        }
        return reply(to: body, from: name, job: id)
    }

    // MARK: Messages

    private func apply(_ body: ExchangeBody, from device: String, to state: inout RoundState) throws(RoundRefusal) {
        switch body.phase {
        case .join:
            try state.join(device, advertisement: body.advertisement)
        case .shares:
            if let shares = body.shares { try state.receiveShares(shares, from: device) }
        case .update:
            if let masked = body.masked {
                try state.receiveMasked(masked, loss: body.loss ?? 0, from: device)
            } else if let encoded = body.parameters {
                guard let data = Data(base64Encoded: encoded), data.count % 4 == 0 else {
                    throw .invalid("parameters: base64 of float32 little-endian values")
                }
                let parameters = data.withUnsafeBytes { raw in
                    (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
                }
                try state.receivePlain(parameters, examples: body.examples ?? 0, loss: body.loss ?? 0, from: device)
            }
        case .unmask:
            if let reply = body.unmask { try state.receiveUnmasking(reply, from: device) }
        }
    }

    /// What the device that sent `body` does next, from the round as it now stands.
    private func reply(to body: ExchangeBody, from device: String, job id: Identifier<FederatedJob>) -> ExchangeReply {
        // The run may have been dropped meanwhile (another coordinator recorded the round):
        // the device asks again and the job is reloaded from the ledger.
        guard let run = runs[id.rawValue] else { return ExchangeReply(status: .wait, round: body.round, phase: "reloading") }
        if run.finished {
            let done = run.lastClosed?.devices.contains(device) ?? false
            return ExchangeReply(status: done && run.lastClosed?.round == body.round ? .done : .finished,
                                 round: run.plan.rounds, phase: "finished")
        }
        if let closed = run.lastClosed, closed.round == body.round {
            return ExchangeReply(status: closed.devices.contains(device) ? .done : .rejoin, round: closed.round + 1, phase: "joining")
        }
        guard let state = run.state else { return ExchangeReply(status: .wait, round: body.round, phase: "closing") }
        let wait = ExchangeReply(status: .wait, round: state.round, phase: state.phase.rawValue)
        guard state.contains(device) else {
            // Not (or no longer: the round started over) in this round: join it while it is
            // still open, else the next one.
            return state.phase == .joining
                ? ExchangeReply(status: .rejoin, round: state.round, phase: state.phase.rawValue, message: "join round \(state.round)")
                : ExchangeReply(status: .rejoin, round: state.round + 1, phase: state.phase.rawValue, message: "round \(state.round) is under way")
        }
        switch (body.phase, state.phase) {
        case (.join, .joining), (.shares, .sharing), (.update, .updating), (.update, .closing), (.unmask, _):
            return wait
        case (.join, _):
            var go = ExchangeReply(status: .go, round: state.round, phase: state.phase.rawValue,
                                   model: Data(ModelWeights.encode(state.global)).base64EncodedString())
            go.roster = state.secure?.roster
            return go
        case (.shares, _):
            guard let secure = state.secure, let delivery = try? secure.shareDelivery(for: device) else {
                return ExchangeReply(status: .rejoin, round: state.round + 1, phase: state.phase.rawValue,
                                     message: "your shares did not arrive in time")
            }
            var go = ExchangeReply(status: .go, round: state.round, phase: state.phase.rawValue)
            go.delivery = delivery
            return go
        case (.update, _):
            guard let request = state.secure?.unmaskingRequest, request.survivors.contains(device) else {
                return ExchangeReply(status: .rejoin, round: state.round + 1, phase: state.phase.rawValue,
                                     message: "your update did not arrive in time")
            }
            var go = ExchangeReply(status: .go, round: state.round, phase: state.phase.rawValue)
            go.unmaskingRequest = request
            return go
        }
    }

    // MARK: Rounds

    private func restart(_ run: Run, round: Int, global: Model, now: UInt64) throws(APIError) -> RoundState {
        do { return try RoundState(round: round, plan: run.plan, global: global, now: now) } catch {
            throw APIError(.unprocessableContent, "federated.secure_aggregation", "\(error)")
        }
    }

    /// Aggregates the closing round, evaluates, stores the model, pays the devices, and opens
    /// the next round (or completes the job). A round already aggregated but not yet recorded
    /// (`pending`) is only recorded.
    private func closeRound(_ id: Identifier<FederatedJob>, now: UInt64) async throws(APIError) {
        guard var run = runs[id.rawValue], var state = run.state else { return }
        run.closing = true
        runs[id.rawValue] = run
        defer { runs[id.rawValue]?.closing = false }
        let pending: PendingRound
        if let earlier = run.pending, earlier.round == state.round {
            pending = earlier
        } else {
            var generator = SystemRandomNumberGenerator()
            let outcome: RoundState.Outcome
            do { outcome = try state.close(using: &generator) } catch {
                logger.warning("federated job \(id.rawValue) round \(state.round) could not be aggregated: \(error); it starts over")
                runs[id.rawValue]?.state = try restart(run, round: state.round, global: state.global, now: now)
                return
            }
            let model = Model(spec: run.plan.model, parameters: outcome.parameters)
            let bytes = ModelWeights.encode(model)
            let stored: StoredBlob
            do { stored = try await artifacts.put(from: AsyncStream<[UInt8]> { $0.yield(bytes); $0.finish() }) } catch {
                throw APIError(.serviceUnavailable, "federated.model_not_stored", "the round's model could not be stored: \(error)")
            }
            pending = PendingRound(round: state.round, model: model, cid: stored.id.description, outcome: outcome,
                                   evaluation: run.evaluation.map { model.evaluate($0) })
            runs[id.rawValue]?.pending = pending
        }
        let model = pending.model, outcome = pending.outcome
        let accounts = outcome.devices.compactMap { try? AccountID(address: $0) }
        do {
            _ = try await gateway.submit(FederatedCall.recordRound(id, round: UInt32(state.round), model: ModelWeights.address(of: model),
                                                                   devices: accounts).call, as: validator)
        } catch let error where error.code == "federated.wrong_round" {
            // Another coordinator recorded this round first (a takeover race): follow the ledger.
            logger.warning("federated job \(id.rawValue) round \(state.round) was already recorded: \(error)")
            runs.removeValue(forKey: id.rawValue)
            return
        } catch let error where error.code == "federated.job_not_open" || error.code == "federated.unknown_job" {
            logger.warning("federated job \(id.rawValue) ended before round \(state.round) was recorded: \(error)")
            runs[id.rawValue]?.finished = true
            return
        } catch {
            // The ledger is busy or changing hands: the next request records the same round.
            logger.error("federated job \(id.rawValue) round \(state.round) was not recorded yet (\(error)); retrying on the next request")
            return
        }
        let record = RoundRecord(round: state.round, devices: outcome.devices.count, dropouts: outcome.dropouts,
                                 accuracy: pending.evaluation.flatMap { $0.accuracy.isFinite ? $0.accuracy : nil },
                                 loss: pending.evaluation.flatMap { $0.loss.isFinite ? $0.loss : nil },
                                 trainingLoss: outcome.trainingLoss.isFinite ? outcome.trainingLoss : 0,
                                 model: pending.cid, seconds: Double(now - min(now, run.roundStartedMilliseconds)) / 1_000)
        do {
            let metrics = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
            try await store.saveRound(job: id.rawValue, round: state.round, metrics: metrics, model: pending.cid)
        } catch {
            logger.error("federated job \(id.rawValue) round \(state.round) metrics not saved: \(error)")
        }
        run = runs[id.rawValue] ?? run
        run.pending = nil
        run.lastClosed = (state.round, Set(outcome.devices))
        run.roundStartedMilliseconds = now
        if state.round >= run.plan.rounds {
            // Not completed (the ledger was busy): the run was dropped and the next request
            // reloads the job from the ledger, which completes it.
            guard await complete(id, model: model) else { return }
            run.finished = true
            run.state = nil
        } else {
            state = try restart(run, round: state.round + 1, global: model, now: now)
            run.state = state
        }
        run.closing = false
        runs[id.rawValue] = run
    }

    /// Records the final model; false when the ledger refused for a passing reason (the next
    /// load of the job tries again).
    private func complete(_ id: Identifier<FederatedJob>, model: Model) async -> Bool {
        do {
            _ = try await gateway.submit(FederatedCall.complete(id, model: ModelWeights.address(of: model)).call, as: validator)
            return true
        } catch let error where error.code == "federated.job_not_open" {
            return true
        } catch {
            logger.error("federated job \(id.rawValue) could not be completed yet: \(error)")
            runs.removeValue(forKey: id.rawValue)
            return false
        }
    }

    /// The run of a job this server validates, loaded from the ledger, its stored plan and
    /// its recorded rounds; nil when it has no plan here or is not ours.
    private func run(_ id: Identifier<FederatedJob>, now: UInt64) async throws(APIError) -> Run? {
        if let run = runs[id.rawValue] { return run }
        guard let job = await ledger.reading({ Federated.job(id, in: $0) }) else { throw APIError.notFound("federated job \(id.rawValue)") }
        guard job.draft.validator == validator.account else { return nil }
        let stored: FederatedStore.StoredJob?
        let rounds: [(round: Int, metrics: String, model: String)]
        do {
            stored = try await store.job(id.rawValue, planDigest: job.draft.plan.hex)
            rounds = try await store.rounds(job: id.rawValue)
        } catch {
            throw APIError(.serviceUnavailable, "federated.store_unavailable", "the federated store could not be read: \(error)")
        }
        guard let stored, let plan = try? JSONDecoder().decode(FederatedPlan.self, from: Data(stored.plan.utf8)) else { return nil }
        let evaluation = stored.evaluation.flatMap { try? Dataset.csv(String(decoding: $0, as: UTF8.self)) }
        var run = Run(id: id, plan: plan, evaluation: evaluation, roundStartedMilliseconds: now)
        let recorded = Int(job.roundsRecorded)
        var global = plan.initialModel
        if recorded > 0 {
            guard let last = rounds.last(where: { $0.round == recorded }), let model = await loadModel(cid: last.model) else {
                throw APIError(.serviceUnavailable, "federated.model_missing",
                               "the model of round \(recorded) is not in this server's artifact store; the job cannot go on from it")
            }
            global = model
        }
        // Another request may have loaded the job while this one awaited: keep that run.
        if let loaded = runs[id.rawValue] { return loaded }
        if job.status != .open {
            run.finished = true
        } else if recorded >= plan.rounds {
            // Every round is recorded but the job was not completed (the ledger was busy):
            // complete it now; if that fails too, the next load tries again.
            run.finished = true
            guard await complete(id, model: global) else { return run }
            if let loaded = runs[id.rawValue] { return loaded }
        } else {
            run.state = try restart(run, round: recorded + 1, global: global, now: now)
        }
        runs[id.rawValue] = run
        return run
    }

    /// A stored round model, read back from the artifact store.
    func loadModel(cid: String) async -> Model? {
        guard let id = ContentID(cid), artifacts.contains(id) else { return nil }
        var bytes: [UInt8] = []
        do { for try await piece in try artifacts.read(id) { bytes += piece } } catch { return nil }
        return try? ModelWeights.decode(bytes)
    }
}
