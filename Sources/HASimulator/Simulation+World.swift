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
            agentDies(n)
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
            agentDies(n)
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
        case .loseReports(let n, let k): world.nodes[n]?.reportsToLose += k
        case .slowMigrations(let on): world.slowMigrations = on
        case .store(let up):
            world.storeUp = up
            if up {
                let held = storeBuffer
                storeBuffer = []
                for item in held { step(item) }
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
        feedAgent(n, .domainStopped(vm, detail: "crashed"))  // nobody there to see it if the agent is dead
    }

    private mutating func rejoin(_ n: NodeID) {
        var node = world.nodes[n]!
        node.alive = true
        node.partitioned = false
        node.rejoinPending = false
        node.selfFenced = false
        node.agentDead = false
        node.awaitingJoin = true
        // Tasks of the lost lease were deleted.
        node.inbox = []
        node.leaseLostAt = nil
        node.leaseEpoch += 1
        world.nodes[n] = node
        note("world", "\(n) rejoins the cluster")
        report(n, .nodeJoined(n, node.capacity))
        // A restarted agent starts afresh (and reconciles at once); one that lived through the cut holds its lease again.
        if agents[n] == nil { startAgent(n) } else { feedAgent(n, .leaseHeld) }
    }

    private mutating func heal(_ n: NodeID) {
        guard world.nodes[n]?.partitioned == true else { return }
        if world.nodes[n]!.leaseLostAt != nil {
            if !world.nodes[n]!.selfFenced && !world.nodes[n]!.agentDead { selfFence(n) }
            world.nodes[n]!.partitioned = false
            return rejoin(n)
        }
        // Back before the lease expired: nothing was lost; the agent (restarted, if it was dead) sees
        // the tasks written meanwhile, and sends its undelivered reports at its next reconcile.
        world.nodes[n]!.partitioned = false
        world.nodes[n]!.agentDead = false
        world.nodes[n]!.leaseEpoch += 1
        let inbox = world.nodes[n]!.inbox
        world.nodes[n]!.inbox = []
        if scenario.world.peerTimeout != nil { report(n, .nodeHeard(n)) }
        if agents[n] == nil { startAgent(n) }
        for task in inbox { send(task) }
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

    /// The node's agent fences itself (its instance decides what to stop); without an agent, its watchdog.
    mutating func selfFence(_ n: NodeID) {
        guard !world.nodes[n]!.selfFenced else { return }
        if agents[n] != nil { feedAgent(n, .leaseLost(reason: "lease lost")) } else { killGuests(n) }
        world.nodes[n]!.selfFenced = true
    }

    mutating func killGuests(_ n: NodeID) {
        note("world", "\(n) watchdog fires: its guests are killed")
        world.nodes[n]!.killGuests()
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

    mutating func start(_ vm: String, on n: NodeID) {
        world.nodes[n]!.running.insert(vm)
        if world.broken[vm] == n {
            queue.push(.vmCrash(vm, n, epoch: world.nodes[n]!.epoch), at: now + scenario.world.brokenCrashDelay)
        }
    }

    /// Heals every fault so liveness can be judged, then returns paused nodes to service.
    mutating func settle() {
        note("world", "settling: every fault healed")
        apply(.store(up: true))
        world.broken = [:]
        world.failMigrationsLeft = 0
        world.slowMigrations = false
        for n in world.nodes.keys { world.nodes[n]!.reportsToLose = 0 }
        for n in world.nodes.keys.sorted() {
            if world.nodes[n]!.partitioned { heal(n) }
            if !world.nodes[n]!.alive { apply(.recoverNode(n)) }
        }
        let resumeAt = now + scenario.world.leaseTTL + scenario.coordinator.fencingMargin + .seconds(30)
        for n in world.nodes.keys.sorted() { queue.push(.fault(.resume(n)), at: resumeAt) }
    }
}
