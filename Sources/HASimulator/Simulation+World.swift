import HACore

/// How the simulated world reacts to faults and performs directives.
extension Simulation {
    mutating func apply(_ f: Fault) {
        let ttl = scenario.world.leaseTTL
        switch f {
        case .crashNode(let n):
            guard world.nodes[n]?.alive == true else { return }
            let wasConnected = world.nodes[n]!.connected
            world.nodes[n]!.alive = false
            world.nodes[n]!.partitioned = false
            world.nodes[n]!.killGuests()
            if wasConnected {
                queue.push(.leaseExpiry(n, leaseEpoch: world.nodes[n]!.leaseEpoch), at: now + ttl)
                peersStopHearing(n)
            }
        case .recoverNode(let n):
            guard let node = world.nodes[n], !node.alive else { return }
            if node.leaseLostAt != nil { rejoin(n) } else { world.nodes[n]!.rejoinPending = true }
        case .partition(let n):
            guard let node = world.nodes[n], node.connected else { return }
            world.nodes[n]!.partitioned = true
            queue.push(.leaseExpiry(n, leaseEpoch: node.leaseEpoch), at: now + ttl)
            peersStopHearing(n)
        case .heal(let n): heal(n)
        case .killAgent(let n):
            guard let node = world.nodes[n], node.connected else { return }
            world.nodes[n]!.partitioned = true
            world.nodes[n]!.agentDead = true
            queue.push(.leaseExpiry(n, leaseEpoch: node.leaseEpoch), at: now + ttl)
            peersStopHearing(n)
        case .restartAgent(let n):
            guard world.nodes[n]?.agentDead == true, world.nodes[n]!.alive else { return }
            heal(n)
        case .crashVM(let vm):
            guard let n = world.hosts(of: vm).first else { return }
            crashVM(vm, on: n)
        case .breakVM(let vm, let n):
            world.broken[vm] = n
            if world.nodes[n]?.running.contains(vm) == true {
                queue.push(.vmCrash(vm, n, epoch: world.nodes[n]!.epoch), at: now + scenario.world.brokenCrashDelay)
            }
        case .fixVM(let vm): world.broken[vm] = nil
        case .failMigrations(let k): world.failMigrationsLeft += k
        case .slowMigrations(let on): world.slowMigrations = on
        case .store(let up):
            world.storeUp = up
            if up {
                let held = storeBuffer
                storeBuffer = []
                for e in held { deliver(e) }
            }
        case .drain(let n): deliver(.drainRequested(n))
        case .abortDrain(let n): deliver(.drainAborted(n))
        case .resume(let n): deliver(.resumeRequested(n))
        case .move(let g, let to): deliver(.moveRequested(g, to: to))
        case .planLoss(let k): logPlan(lose: k)
        case .whatIf(let nodes): logWhatIf(coordinator.capacityPlanner.whatIf(failing: Set(nodes)))
        }
    }

    mutating func crashVM(_ vm: String, on n: NodeID) {
        world.nodes[n]!.running.remove(vm)
        let g = world.groupOfVM[vm]!
        guard !world.nodes[n]!.agentDead else { return }  // nobody there to see it
        guard scenario.world.localRestarts else { return report(n, .resourceFailed(g, ResourceID(vm), on: n)) }
        world.nodes[n]!.local.groupArrived(g, restartPolicy: world.groups[g]!.policy.restart)
        switch world.nodes[n]!.local.resourceFailed(g, ResourceID(vm), at: now) {
        case .restart(_, _, _, let reason):
            note("local", "\(n) restarts \(vm) in place -- \(reason)")
            checker.onLocalRestart(g, on: n, at: now)
            let ge = world.nodes[n]!.groupEpoch[g, default: 0]
            queue.push(.localRestart(vm, n, epoch: world.nodes[n]!.epoch, groupEpoch: ge), at: now + scenario.world.startTime)
        case .escalate(let event, let reason):
            note("local", "\(n) escalates \(vm) -- \(reason)")
            report(n, event)
        }
    }

    private mutating func rejoin(_ n: NodeID) {
        var node = world.nodes[n]!
        node.alive = true
        node.partitioned = false
        node.rejoinPending = false
        node.selfFenced = false
        node.agentDead = false
        node.awaitingJoin = true
        // A restarted agent knows nothing of what it held back; tasks of the lost lease were deleted.
        node.outbox = []
        node.inbox = []
        node.leaseLostAt = nil
        node.leaseEpoch += 1
        world.nodes[n] = node
        note("world", "\(n) rejoins the cluster")
        report(n, .nodeJoined(n, node.capacity))
        queue.push(.agentReconcile(n, first: true), at: now + scenario.world.reportLatency + .seconds(1))
    }

    /// What a (re)joined agent's reconcile does: it reports groups that run here but that the cluster
    /// places elsewhere or nowhere (the coordinator adopts or stops them), and groups the cluster
    /// places here that do not run.
    /// It reconciles again while the cluster's view and the node's differ.
    mutating func agentReconcile(_ n: NodeID, first: Bool) {
        guard world.nodes[n]!.connected else { return }
        // The agent's reports go to the store's inbox: none while the store is down; it tries again.
        guard world.storeUp else { return queue.push(.agentReconcile(n, first: first), at: now + .seconds(10)) }
        var differs = false
        for (g, state) in coordinator.states.sorted(by: { $0.key < $1.key }) {
            let vms = world.vmNames(g)
            let here = vms.filter { world.nodes[n]!.running.contains($0) }
            let missing = vms.filter { !here.contains($0) }
            switch state.status {
            case .online(n) where first:
                guard let vm = missing.first else { break }
                differs = true
                // As for any failure seen here: the local manager first, if there is one; else one report
                // (the coordinator's restart brings the whole group online).
                if scenario.world.localRestarts { for vm in missing { crashVM(vm, on: n) } } else { report(n, .resourceFailed(g, ResourceID(vm), on: n)) }
            // Running here (in part: what died unseen counts as failed once adopted) though placed elsewhere or nowhere.
            case let s where !here.isEmpty && !s.nodes.contains(n) || !here.isEmpty && state.lastHost == n:
                differs = true
                report(n, .groupOnline(g, on: n))
                for vm in missing { crashVM(vm, on: n) }
            // The cluster thinks it may still run here (it last ran here under a lost lease): it does not.
            case _ where here.isEmpty && state.lastHost == n:
                differs = true
                report(n, .groupOffline(g, on: n))
            default: break
            }
        }
        if differs { queue.push(.agentReconcile(n, first: false), at: now + .seconds(10)) }
    }

    private mutating func heal(_ n: NodeID) {
        guard world.nodes[n]?.partitioned == true else { return }
        if world.nodes[n]!.leaseLostAt != nil {
            if !world.nodes[n]!.selfFenced && !world.nodes[n]!.agentDead { selfFence(n) }
            world.nodes[n]!.partitioned = false
            return rejoin(n)
        }
        // Back before the lease expired: nothing was lost; held traffic flows.
        world.nodes[n]!.partitioned = false
        world.nodes[n]!.agentDead = false
        world.nodes[n]!.leaseEpoch += 1
        let (outbox, inbox) = (world.nodes[n]!.outbox, world.nodes[n]!.inbox)
        world.nodes[n]!.outbox = []
        world.nodes[n]!.inbox = []
        if scenario.world.peerTimeout != nil { report(n, .nodeHeard(n)) }
        for e in outbox { report(n, e) }
        for a in inbox { send(a, to: n) }
    }

    mutating func leaseExpired(_ n: NodeID, _ leaseEpoch: Int) {
        let node = world.nodes[n]!
        guard node.leaseEpoch == leaseEpoch, !node.connected, node.leaseLostAt == nil else { return }
        world.nodes[n]!.leaseLostAt = now
        world.nodes[n]!.leaseLosses[leaseEpoch] = now
        queue.push(.deliver(.leaseLost(n)), at: now)
        if node.alive && !node.agentDead {
            queue.push(.selfFence(n, epoch: node.epoch), at: now + scenario.world.selfFenceDelay)
        } else if node.rejoinPending {
            rejoin(n)
        }
    }

    mutating func selfFence(_ n: NodeID) {
        guard !world.nodes[n]!.selfFenced else { return }
        note("world", "\(n) watchdog fires: its guests are killed")
        world.nodes[n]!.killGuests()
        world.nodes[n]!.selfFenced = true
    }

    /// With peer heartbeats, the leader suspects a silent node after the peer timeout.
    mutating func peersStopHearing(_ n: NodeID) {
        guard let timeout = scenario.world.peerTimeout else { return }
        queue.push(.peerSilence(n, leaseEpoch: world.nodes[n]!.leaseEpoch), at: now + timeout)
    }

    /// The fence device power-cycles the node (whatever incarnation runs there); it boots again later.
    /// The fencer first asks the host's libvirtd: a host whose agent alone is dead answers, and is not fenced.
    mutating func fenceDone(_ n: NodeID) {
        if world.nodes[n]!.alive && world.nodes[n]!.agentDead {
            return note("world", "fencer: \(n)'s libvirtd answers (only its agent is down): not fenced")
        }
        world.nodes[n]!.fencedLeases.insert(world.nodes[n]!.leaseEpoch)
        if world.nodes[n]!.alive {
            note("world", "fence device power-cycles \(n)")
            apply(.crashNode(n))
            queue.push(.fault(.recoverNode(n)), at: now + .minutes(1))
        }
        world.nodes[n]!.fenceConfirmedAt = now
        queue.push(.deliver(.nodeFenced(n)), at: now + scenario.world.reportLatency)
    }

    mutating func execute(_ action: Directive.Action, on n: NodeID, epoch: Int) {
        if case .liveMigrate(let g, _, _) = action { world.nodes[n]!.local.moveEnded(g) }
        if case .quickMigrate(let g, _, _) = action { world.nodes[n]!.local.moveEnded(g) }
        guard world.nodes[n]!.alive, world.nodes[n]!.epoch == epoch else { return }
        switch action {
        case .bringOnline(let g, _, _, _):
            // virtlockd: a disk in use on another (live) host cannot be opened here.
            if let holder = world.vmNames(g).flatMap(world.hosts(of:)).first(where: { $0 != n }) {
                note("world", "disk locks of \(g) held on \(holder) refuse its start on \(n)")
                return report(n, .startRefusedLocked(g, on: n))
            }
            for vm in world.vmNames(g) { start(vm, on: n) }
            report(n, .groupOnline(g, on: n))
        case .takeOffline(let g, _, _):
            world.leave(g, n)
            checker.lastHost[g] = nil
            report(n, .groupOffline(g, on: n))
        case .restartResource(let g, let r, _):
            world.nodes[n]!.local.restartOrdered(g, at: now)
            // As the agent's restart: the group comes online again, every VM not running is started.
            if world.groupOfVM[r.rawValue] != nil {
                for vm in world.vmNames(g) where !world.nodes[n]!.running.contains(vm) { start(vm, on: n) }
            }
            report(n, .resourceOnline(g, r, on: n))
        case .liveMigrate(let g, _, let b): migrate(g, from: n, to: b, .live)
        case .quickMigrate(let g, _, let b): migrate(g, from: n, to: b, .quick)
        case .fenceNode, .waitUntil, .markFailed, .raiseAlert: break
        }
    }

    mutating func start(_ vm: String, on n: NodeID) {
        world.nodes[n]!.running.insert(vm)
        if world.broken[vm] == n {
            queue.push(.vmCrash(vm, n, epoch: world.nodes[n]!.epoch), at: now + scenario.world.brokenCrashDelay)
        }
    }

    private mutating func migrate(_ g: GroupID, from a: NodeID, to b: NodeID, _ method: MoveMethod) {
        let vms = world.vmNames(g)
        let runs = vms.allSatisfy { world.nodes[a]!.running.contains($0) }
        let anyRuns = vms.contains { world.nodes[a]!.running.contains($0) }
        let targetOK = world.nodes[b]!.connected && !world.nodes[a]!.partitioned
        let injected = world.failMigrationsLeft > 0
        if injected { world.failMigrationsLeft -= 1 }
        if method == .quick {
            world.leave(g, a)
            checker.lastHost[g] = nil
        }
        guard runs, targetOK, !injected else {
            note("world", "\(method) migration of \(g) \(a)->\(b) fails")
            return report(a, .moveFailed(g, method, from: a, runningOn: method == .live && anyRuns ? a : nil))
        }
        world.leave(g, a)
        for vm in vms { start(vm, on: b) }
        report(b, .groupOnline(g, on: b))
    }

    /// Heals every fault so liveness can be judged, then returns paused nodes to service.
    mutating func settle() {
        note("world", "settling: every fault healed")
        apply(.store(up: true))
        world.broken = [:]
        world.failMigrationsLeft = 0
        world.slowMigrations = false
        for n in world.nodes.keys.sorted() {
            if world.nodes[n]!.partitioned { heal(n) }
            if !world.nodes[n]!.alive { apply(.recoverNode(n)) }
        }
        let resumeAt = now + scenario.world.leaseTTL + scenario.coordinator.fencingMargin + .seconds(30)
        for n in world.nodes.keys.sorted() { queue.push(.fault(.resume(n)), at: resumeAt) }
    }
}
