/// The leader's requests to abort a live migration (a drain aborted or past its deadline). A
/// request written at store revision R stops the one live migration of its group here whose task
/// was written before R: the one running, or else the one waiting or yet to arrive (the task and
/// the request come through different watches), aborted as it starts. A migration written after R
/// is a new move, which the request never stops. The request is consumed (its key deleted) when the
/// migration it stopped ends, before that task's report goes out; when a newer migration starts;
/// or at the next reconcile if none it could stop waits here.
extension NodeInstance {
    mutating func abortRequested(_ g: GroupID, reason: String, revision: Int64) -> [NodeDirective] {
        if abortRequests[g]?.revision == revision { return [] }
        if case .performing(let task, let taskRevision, _) = phase(of: g), task.step.isLiveMigration {
            let aborting = abortRequests[g]?.task == task.id
            if taskRevision < revision || aborting {
                abortRequests[g] = AbortRequest(reason: reason, revision: revision, task: task.id)
                if aborting { return [] }  // rewritten while it is being aborted: consumed at its newest revision
                return [NodeDirective(.abortMigration(g, reason: reason), reason: "the leader asked to abort the live migration of \(g): \(reason)")]
            }
            return [consume(g, revision, "the live migration of \(g) running here began after it")]
        }
        abortRequests[g] = AbortRequest(reason: reason, revision: revision, task: nil)
        return []
    }

    /// A request the leader withdrew no longer stops a migration that has not begun (one under way
    /// was aborted already: that cannot be undone).
    mutating func abortWithdrawn(_ g: GroupID) -> [NodeDirective] {
        if abortRequests[g]?.task == nil { abortRequests[g] = nil }
        return []
    }

    /// A task starts: a live migration written before a pending request is aborted before its job
    /// starts; one written after it shows the request stale, which is consumed.
    mutating func abortOnStart(_ task: AgentTask, revision: Int64) -> [NodeDirective] {
        guard task.step.isLiveMigration, let request = abortRequests[task.group], request.task == nil else { return [] }
        guard revision < request.revision else {
            return [consume(task.group, request.revision, "a newer live migration of \(task.group) starts")]
        }
        abortRequests[task.group] = AbortRequest(reason: request.reason, revision: request.revision, task: task.id)
        return [NodeDirective(.abortMigration(task.group, reason: request.reason),
                              reason: "the leader asked to abort the live migration of \(task.group) before it began: \(request.reason)")]
    }

    /// The task a request stopped has ended: the request is consumed.
    mutating func abortConsumed(by report: TaskReport) -> [NodeDirective] {
        let g = report.task.group
        guard let request = abortRequests[g], request.task == report.task.id else { return [] }
        return [consume(g, request.revision, "the live migration of \(g) that it stopped has ended")]
    }

    /// Consumes the pending requests whose group has no live migration written before them waiting here.
    mutating func abortsWithoutMigration(_ why: String) -> [NodeDirective] {
        abortRequests.sorted { $0.key < $1.key }.compactMap { g, request in
            guard request.task == nil,
                  !queued[g, default: []].contains(where: { $0.task.step.isLiveMigration && $0.revision < request.revision }) else { return nil }
            return consume(g, request.revision, "no live migration of \(g) it could stop waits here (\(why))")
        }
    }

    private mutating func consume(_ g: GroupID, _ revision: Int64, _ why: String) -> NodeDirective {
        abortRequests[g] = nil
        return NodeDirective(.consumeAbort(g, revision: revision), reason: "the request to abort the live migration of \(g) is consumed: \(why)")
    }
}

extension AgentTask.Step {
    /// Whether the step is a live migration off this node.
    var isLiveMigration: Bool {
        if case .liveMigrate = self { return true }
        return false
    }
}
