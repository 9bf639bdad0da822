/// Tasks from the leader: one at a time per group, in order, each reported once it ends.
extension NodeInstance {
    mutating func arrived(_ task: AgentTask, revision: Int64) -> [NodeDirective] {
        let g = task.group
        if queued[g, default: []].contains(where: { $0.task.id == task.id }) { return [] }
        switch phase(of: g) {
        case .performing(let running, _, _) where running.id == task.id: return []
        case .reporting(let report, _, _) where report.task.id == task.id: return []
        default: break
        }
        queued[g, default: []].append(Arrival(task: task, revision: revision))
        return startNext(g)
    }

    /// After a watch resync: what the store no longer holds is withdrawn, what is new arrives.
    mutating func resynced(_ tasks: [AgentTask: Int64]) -> [NodeDirective] {
        for (g, waiting) in queued {
            let kept = waiting.filter { tasks[$0.task] != nil }
            queued[g] = kept.isEmpty ? nil : kept
        }
        return tasks.sorted { ($0.key.group, $0.value) < ($1.key.group, $1.value) }.flatMap { arrived($0.key, revision: $0.value) }
    }

    /// Starts the group's next waiting task, unless one is running or fenced.
    mutating func startNext(_ g: GroupID) -> [NodeDirective] {
        guard !fenced, !phase(of: g).isBusy, var waiting = queued[g], !waiting.isEmpty else { return [] }
        let next = waiting.removeFirst()
        queued[g] = waiting.isEmpty ? nil : waiting
        let task = next.task
        let domains = domains(of: g)
        switch task.step {
        case .bringOnline: expectedStops.subtract(domains)
        case .takeOffline, .liveMigrate, .quickSave: expectedStops.formUnion(domains)
        case .restart, .quickRestore: break
        }
        setPhase(g, .performing(task, revision: next.revision, wasWatched: phase(of: g).isWatched))
        return abortOnStart(task, revision: next.revision) + [NodeDirective(.perform(task), reason: task.reason)]
    }

    mutating func finished(_ report: TaskReport, at now: Timestamp) -> [NodeDirective] {
        let task = report.task
        guard case .performing(let running, let revision, let wasWatched) = phase(of: task.group), running.id == task.id else {
            return []
        }
        let watch: Bool
        switch (task.step, report.succeeded) {
        case (.bringOnline, true), (.restart, true), (.quickRestore, true):
            watch = true
            for d in domains(of: task.group) { markStarted(d, at: now) }
            awaitingFirstProbe[task.group] = Set(domains(of: task.group))
        case (.takeOffline, _), (.liveMigrate, true), (.quickSave, _), (.restart, false):
            watch = false
        case (.bringOnline, false):
            // A start that failed with the VMs running (adopted in part) is watched as it is.
            watch = report.stillRunningHere
        case (.liveMigrate, false), (.quickRestore, false):
            watch = wasWatched
        }
        if fenced {
            // The step ended after this node fenced itself. The leader takes the node for lost (its lease is
            // given up) and withdraws its tasks: a report now could only arrive stale. VMs the step left
            // running here are stopped as the fence stopped the others.
            setPhase(task.group, .idle)
            guard watch else { return [] }
            return [NodeDirective(.selfFence(domains(of: task.group)), reason: "\(task.group) came up here after the self-fence")]
        }
        setPhase(task.group, .reporting(report, revision: revision, watchAfter: watch))
        let outcome = report.failure.map { "failed: \($0)" } ?? "done"
        return [NodeDirective(.reportTask(report, revision: revision), reason: "task \(task.id) for \(task.group) \(outcome)")]
    }

    mutating func delivered(_ taskID: String) -> [NodeDirective] {
        guard let (g, watch) = phases.lazy.compactMap({ (g, phase) -> (GroupID, Bool)? in
            if case .reporting(let r, _, let watch) = phase, r.task.id == taskID { return (g, watch) }
            return nil
        }).first else { return [] }
        setPhase(g, watch && !fenced ? .watched(failureReported: false) : .idle)
        return startNext(g)
    }

    /// Reports not delivered yet, to send again.
    func undeliveredReports() -> [NodeDirective] {
        phases.sorted { $0.key < $1.key }.compactMap { _, phase in
            guard case .reporting(let report, let revision, _) = phase else { return nil }
            return NodeDirective(.reportTask(report, revision: revision), reason: "task report for \(report.task.group) not delivered yet: sending it again")
        }
    }
}
