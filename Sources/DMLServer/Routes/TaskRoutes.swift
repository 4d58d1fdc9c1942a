import DMLBlobs
import DMLCore
import DMLLedger
import Foundation
import Hummingbird

/// `/v1/tasks`: DecentralML work items (data annotation, model contribution, model engineering).
/// A requester escrows `rewardPerResult × maxAssignments` when creating a task; workers take an
/// assignment (holding the task's stake), send one result each, and are paid when the result is
/// accepted — at once (auto accept), by the creator (manual accept) or by the named validator
/// (custom accept). Results are addressed by (task, worker), as the ledger addresses them
/// (decision 0005). Everything is read from the ledger's state: tasks have no index table.
struct TaskRoutes: Sendable {
    let server: APIServer

    func register(on router: Router<APIContext>) {
        let group = router.group("/v1/tasks")
        group.post { request, context in
            let body = try await request.json(CreateTaskBody.self, context: context)
            let draft = try body.draft()
            let submitted = try await server.submit(TasksCall.create(draft).call, for: try context.requireUser())
            let id = submitted.inclusion.events.lazy.compactMap { event -> UInt64? in
                if case .created(let id, _, _) = TasksEvent(event) { id.rawValue } else { nil }
            }.first
            return try reply(WriteView(id: id, transaction: submitted.receipt), status: .created)
        }
        group.get { request, context in try await list(request, context) }
        group.get("/:id") { _, context in
            let id = try Self.id(context)
            let viewer = context.user?.account
            guard let view = await server.ledger.reading({ TaskView(id: id, viewer: viewer, detail: true, in: $0) }) else {
                throw APIError.notFound("task \(id.rawValue)")
            }
            return try reply(view)
        }
        group.post("/:id/assignments") { _, context in
            let id = try Self.id(context)
            return try await write(.assign(id), id, context)
        }
        group.post("/:id/results") { request, context in
            let id = try Self.id(context)
            let body = try await request.json(TaskResultBody.self, context: context)
            return try await write(.sendResult(id, try body.result()), id, context)
        }
        group.get("/:id/results") { request, context in try await results(request, context) }
        group.post("/:id/validations") { request, context in
            let id = try Self.id(context)
            let body = try await request.json(TaskVerdictBody.self, context: context)
            let worker = try UserRoutes.account(body.worker, field: "worker")
            return try await write(.validate(id, worker: worker, try body.verdict()), id, context)
        }
        group.post("/:id/settle") { request, context in
            let id = try Self.id(context)
            let body = try await request.json(TaskWorkerBody.self, context: context)
            return try await write(.settle(id, worker: try UserRoutes.account(body.worker, field: "worker")), id, context)
        }
        group.post("/:id/withdraw") { _, context in
            let id = try Self.id(context)
            return try await write(.withdraw(id), id, context)
        }
    }

    func write(_ call: TasksCall, _ id: Identifier<WorkTask>, _ context: APIContext) async throws -> Response {
        let submitted = try await server.submit(call.call, for: try context.requireUser())
        return try reply(WriteView(id: id.rawValue, transaction: submitted.receipt))
    }

    static func id(_ context: APIContext) throws -> Identifier<WorkTask> {
        Identifier(try PathID.parse(context, what: "a task id"))
    }

    /// `GET /v1/tasks?scope=open|mine|assigned&limit=&offset=`: open tasks (oldest first; a task
    /// leaves this list when its last slot is taken or its creator withdraws, so an expired task
    /// may still be listed: see `acceptingWork`), the caller's own tasks, or the tasks the caller
    /// holds an assignment on. `mine` and `assigned` need sign-in.
    func list(_ request: Request, _ context: APIContext) async throws -> Response {
        let limit = try request.query("limit", 20, in: 1...100)
        let offset = try request.query("offset", 0, in: 0...1_000_000)
        let viewer = context.user?.account
        let page: Page<TaskView>
        switch request.uri.queryParameters["scope"].map(String.init) ?? "open" {
        case "open":
            page = await server.ledger.reading { state -> Page<TaskView> in
                let found = Tasks.openTasks(offset: offset, limit: limit, in: state)
                return Page(items: found.page.compactMap { TaskView(id: $0, viewer: viewer, detail: false, in: state) },
                            total: found.total, limit: limit, offset: offset)
            }
        case "mine":
            let me = try context.requireUser().account
            page = await server.ledger.reading { state -> Page<TaskView> in
                let found = Tasks.tasks(by: me, offset: offset, limit: limit, in: state)
                return Page(items: found.page.compactMap { TaskView(id: $0, viewer: me, detail: false, in: state) },
                            total: found.total, limit: limit, offset: offset)
            }
        case "assigned":
            let me = try context.requireUser().account
            page = await server.ledger.reading { state -> Page<TaskView> in
                let found = Tasks.submissions(of: me, offset: offset, limit: limit, in: state)
                let tasks = found.page.compactMap { Tasks.submission($0, in: state)?.task }
                return Page(items: tasks.compactMap { TaskView(id: $0, viewer: me, detail: false, in: state) },
                            total: found.total, limit: limit, offset: offset)
            }
        default:
            throw APIError.badRequest("request.bad_query", "scope must be open, mine or assigned", field: "scope")
        }
        return try reply(page)
    }

    /// `GET /v1/tasks/:id/results?limit=&offset=`: the creator, a moderator and the task's custom
    /// validator see every result; anyone else signed in sees only their own (as bounties show
    /// submissions). Stored results carry their credentials, so this needs sign-in.
    func results(_ request: Request, _ context: APIContext) async throws -> Response {
        let id = try Self.id(context)
        let viewer = try context.requireUser().account
        let limit = try request.query("limit", 20, in: 1...100)
        let offset = try request.query("offset", 0, in: 0...1_000_000)
        let page = await server.ledger.reading { state -> Page<TaskResultView>? in
            guard let task = Tasks.task(id, in: state) else { return nil }
            var everyone = task.creator == viewer || Roles.has(.moderator, viewer, in: state)
            if case .customAccept(let validator, _) = task.draft.validation, validator == viewer { everyone = true }
            if everyone {
                let found = Tasks.results(of: id, offset: offset, limit: limit, in: state)
                let items = found.page.compactMap { submission in
                    Tasks.submission(submission, in: state).map { TaskResultView(id: submission, $0) }
                }
                return Page(items: items, total: found.total, limit: limit, offset: offset)
            }
            guard let own = Tasks.submission(on: id, by: viewer, in: state) else {
                return Page(items: [], total: 0, limit: limit, offset: offset)
            }
            return Page(items: offset == 0 ? [TaskResultView(id: own.id, own.submission)] : [], total: 1, limit: limit, offset: offset)
        }
        guard let page else { throw APIError.notFound("task \(id.rawValue)") }
        return try reply(page)
    }
}
