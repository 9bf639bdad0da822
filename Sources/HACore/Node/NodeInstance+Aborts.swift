/// The leader's requests to abort a live migration (a drain aborted or past its deadline). A
/// request stops one migration of its group here: the one running, or else the next one waiting
/// here, as it starts; one with no live migration of its group here to stop is consumed at once.
/// Consumed (its key deleted) when the migration it stopped ends, before that task's report goes
/// out, so that it can never stop the group's next move.
extension NodeInstance {
    mutating func abortRequested(_ g: GroupID, reason: String, revision: Int64) -> [NodeDirective] {
        if abortRequests[g]?.revision == revision { return [] }
        if case .performing(let task, _, _) = phase(of: g), task.step.isLiveMigration {
            let aborting = abortRequests[g]?.task == task.id
            abortRequests[g] = AbortRequest(reason: reason, revision: revision, task: task.id)
            if aborting { return [] }  // rewritten while it is being aborted: consumed at its newest revision
            return [NodeDirective(.abortMigration(g, reason: reason), reason: "the leader asked to abort the live migration of \(g): \(reason)")]
        }
        abortRequests[g] = AbortRequest(reason: reason, revision: revision, task: nil)
        return abortsWithoutMigration()
    }

    /// A request the leader withdrew no longer stops a migration that has not begun (one under way
    /// was aborted already: that cannot be undone).
    mutating func abortWithdrawn(_ g: GroupID) -> [NodeDirective] {
        if abortRequests[g]?.task == nil { abortRequests[g] = nil }
        return []
    }

    /// A task starts: a live migration of a group with a pending abort request is aborted before its job starts.
    mutating func abortOnStart(_ task: AgentTask) -> [NodeDirective] {
        guard task.step.isLiveMigration, let request = abortRequests[task.group], request.task == nil else { return [] }
        abortRequests[task.group] = AbortRequest(reason: request.reason, revision: request.revision, task: task.id)
        return [NodeDirective(.abortMigration(task.group, reason: request.reason),
                              reason: "the leader asked to abort the live migration of \(task.group) before it began: \(request.reason)")]
    }

    /// The task a request stopped has ended: the request is consumed.
    mutating func abortConsumed(by report: TaskReport) -> [NodeDirective] {
        let g = report.task.group
        guard let request = abortRequests[g], request.task == report.task.id else { return [] }
        abortRequests[g] = nil
        return [NodeDirective(.consumeAbort(g, revision: request.revision),
                              reason: "the live migration of \(g) that the leader asked to abort has ended: its request is consumed")]
    }

    /// Consumes the pending requests whose group has no live migration waiting here any more.
    mutating func abortsWithoutMigration() -> [NodeDirective] {
        var directives: [NodeDirective] = []
        for (g, request) in abortRequests.sorted(by: { $0.key < $1.key })
        where request.task == nil && !queued[g, default: []].contains(where: { $0.task.step.isLiveMigration }) {
            abortRequests[g] = nil
            directives.append(NodeDirective(.consumeAbort(g, revision: request.revision),
                                            reason: "no live migration of \(g) runs or waits here: its abort request is consumed"))
        }
        return directives
    }
}

extension AgentTask.Step {
    /// Whether the step is a live migration off this node.
    var isLiveMigration: Bool {
        if case .liveMigrate = self { return true }
        return false
    }
}
