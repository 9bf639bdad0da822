import HACore

/// Each simulated host's agent: the agent's own `NodeInstance`, in a shell that performs its
/// directives on the simulated world (task steps, reports through the store, reconciles, self-fence).
extension Simulation {
    /// A fresh agent process on the node: it knows the groups and reconciles at once.
    mutating func startAgent(_ n: NodeID) {
        var settings = NodeSettings()
        settings.reconcileInterval = scenario.world.reconcileInterval
        settings.guestAgent = false
        var agent = NodeInstance(node: n, settings: settings)
        _ = agent.handle(.definitions(world.groups.keys.sorted().map { world.groups[$0]! }), at: now)
        agents[n] = agent
        feedAgent(n, .started)
    }

    /// The agent's process ends (kill -9, crash, power-off): what it knew and did is gone.
    mutating func agentDies(_ n: NodeID) {
        agents[n] = nil
        world.nodes[n]!.agentEpoch += 1
    }

    /// Feeds an event to the node's agent (if it runs) and performs what it decides.
    mutating func feedAgent(_ n: NodeID, _ event: NodeEvent) {
        guard var agent = agents.removeValue(forKey: n) else { return }  // the only reference while it changes
        let directives = agent.handle(event, at: now)
        agents[n] = agent
        for d in directives { perform(d, on: n) }
    }

    private mutating func perform(_ d: NodeDirective, on n: NodeID) {
        let node = world.nodes[n]!
        switch d.kind {
        case .perform(let task):
            queue.push(.performed(task, n, epoch: node.epoch, agentEpoch: node.agentEpoch), at: now + duration(of: task.step))
        case .reportTask(let report, _):
            if reachesInbox(n) {
                queue.push(.deliverReport(report), at: now + scenario.world.reportLatency)
                feedAgent(n, .taskReportDelivered(taskID: report.task.id))
            } else {
                feedAgent(n, .taskReportLost(taskID: report.task.id))
            }
        case .report(let event, _):
            if reachesInbox(n) { queue.push(.deliver(event), at: now + scenario.world.reportLatency) } else { feedAgent(n, .reportLost(event)) }
        case .takeInventory:
            let domains = node.running.sorted().map { DomainSighting(name: $0, active: true) }
            let readable = node.connected && world.storeUp
            feedAgent(n, .inventory(readable ? Inventory(domains: domains, believed: coordinator.states) : nil))
        case .selfFence:
            killGuests(n)
        case .schedule(.reconcile, let at):
            queue.push(.agentTimer(.reconcile, n, agentEpoch: node.agentEpoch), at: at)
        case .schedule(.probe, _), .schedule(.pausedGuests, _), .probe, .learnGuestAgentChannels, .writeBack, .undefine, .resume:
            break  // no in-guest probes, definitions, stopped or paused domains in the simulated world
        case .schedule(.hostCheck, _), .checkHost:
            break  // the simulated hosts' libvirtd and storage never fail
        case .abortMigration, .consumeAbort:
            break  // the simulated leader's abortMove acts on the world itself (world.abortedMoves); agents never see a request
        }
    }

    /// Whether a report of the node's agent reaches the leader's inbox (a lost one is the agent's to resend).
    private mutating func reachesInbox(_ n: NodeID) -> Bool {
        guard world.nodes[n]!.connected, world.storeUp else { return false }
        guard world.nodes[n]!.reportsToLose == 0 else {
            world.nodes[n]!.reportsToLose -= 1
            note("world", "a report of \(n) to the leader's inbox is lost")
            return false
        }
        return true
    }

    /// How long a node takes to carry out a step.
    private func duration(of step: AgentTask.Step) -> TimeSpan {
        let w = scenario.world
        switch step {
        case .takeOffline: return w.stopTime
        case .liveMigrate, .quickSave: return world.slowMigrations ? w.migrationTime * 10 : w.migrationTime
        case .bringOnline, .restart, .quickRestore: return w.startTime
        }
    }

    /// A step ends: its effect on the world, then its report to the agent. A self-fence meanwhile
    /// stopped it. An agent killed meanwhile never reports it, but libvirtd carries out what it was
    /// asked (a peer-to-peer migration runs to its end in libvirtd).
    mutating func performed(_ task: AgentTask, on n: NodeID, epoch: Int, agentEpoch: Int) {
        let node = world.nodes[n]!
        guard node.alive else { return }
        guard node.epoch == epoch else {
            guard node.agentEpoch == agentEpoch else { return }
            return feedAgent(n, .taskFinished(TaskReport(task: task, failure: "stopped by the self-fence")))
        }
        let report = carryOut(task, on: n)
        if node.agentEpoch == agentEpoch { feedAgent(n, .taskFinished(report)) }
    }

    private mutating func carryOut(_ task: AgentTask, on n: NodeID) -> TaskReport {
        let g = task.group
        switch task.step {
        case .bringOnline, .quickRestore:
            // virtlockd: a disk in use on another (live) host cannot be opened here.
            if let holder = world.vmNames(g).flatMap(world.hosts(of:)).first(where: { $0 != n }) {
                note("world", "disk locks of \(g) held on \(holder) refuse its start on \(n)")
                if case .bringOnline = task.step { return TaskReport(task: task, failure: "disks locked on \(holder)", refusedByDiskLocks: true) }
                return TaskReport(task: task, failure: "disks locked on \(holder)")
            }
            for vm in world.vmNames(g) { start(vm, on: n) }
        case .takeOffline:
            world.leave(g, n)
            checker.lastHost[g] = nil
        case .restart(let r):
            // As the agent's restart: the group comes online again, every VM not running is started.
            if world.groupOfVM[r.rawValue] != nil {
                for vm in world.vmNames(g) where !world.nodes[n]!.running.contains(vm) { start(vm, on: n) }
            }
        case .liveMigrate(let b): return migrate(task, from: n, to: b, .live)
        case .quickSave(let b): return migrate(task, from: n, to: b, .quick)
        }
        return TaskReport(task: task)
    }

    /// The source's side of a migration; a quick one saves here, and the target restores it in a task of its own.
    private mutating func migrate(_ task: AgentTask, from a: NodeID, to b: NodeID, _ method: MoveMethod) -> TaskReport {
        let g = task.group
        let vms = world.vmNames(g)
        let runs = vms.allSatisfy { world.nodes[a]!.running.contains($0) }
        let anyRuns = vms.contains { world.nodes[a]!.running.contains($0) }
        let targetOK = world.nodes[b]!.connected && !world.nodes[a]!.partitioned
        // An abort the leader asked for ends a live migration with the guests still on the source.
        let aborted = method == .live && world.abortedMoves.remove(g) != nil
        let injected = !aborted && world.failMigrationsLeft > 0
        if injected { world.failMigrationsLeft -= 1 }
        if method == .quick {
            world.leave(g, a)
            checker.lastHost[g] = nil
        }
        guard runs, targetOK, !injected, !aborted else {
            note("world", "\(method) migration of \(g) \(a)->\(b) \(aborted ? "aborted" : "fails")")
            return TaskReport(task: task, failure: "\(method) migration failed", stillRunningHere: method == .live && anyRuns)
        }
        if method == .live {
            world.leave(g, a)
            for vm in vms {
                start(vm, on: b)
                feedAgent(b, .domainStarted(vm, migratedIn: true))
            }
        }
        return TaskReport(task: task)
    }
}
