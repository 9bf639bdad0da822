/// The safety net behind events: what runs here against what the coordinator last stored.
extension NodeInstance {
    mutating func reconcileDue(at now: Timestamp) -> [NodeDirective] {
        // Task reports the inbox did not take yet are sent again.
        let resend = undeliveredReports()
        guard !reconciling else { return resend }
        guard !fenced else {
            return resend + [NodeDirective(.schedule(.reconcile, at: now + settings.reconcileInterval), reason: "fenced: no reconcile")]
        }
        reconciling = true
        return resend + [NodeDirective(.takeInventory, reason: "periodic reconcile")]
    }

    /// Compares the domains on this host with what the coordinator believes: adopts HA domains it
    /// places here, reports those running here that it places elsewhere or nowhere (the coordinator
    /// adopts them or has them stopped: this node never stops a running guest on its own, since an
    /// unreachable agent's guests are exactly those), says which groups it was believed to hold under
    /// a lost lease no longer run here, and reports HA domains that should run here but do not.
    mutating func reconciled(_ inventory: Inventory?, at now: Timestamp) -> [NodeDirective] {
        reconciling = false
        let next = NodeDirective(.schedule(.reconcile, at: now + settings.reconcileInterval), reason: "next reconcile")
        guard let inventory, !fenced else { return [next] }
        let believed = inventory.believed
        var actions: [NodeDirective] = []
        var told: Set<GroupID> = []
        var undefine: [String] = []
        for domain in inventory.domains {
            guard let ha = haResource(of: domain.name), !phase(of: ha.group).isBusy else { continue }
            // Paused for a migration in or out (one this agent's previous process started, say): neither
            // adopted nor reported until the migration ends and the domain runs on one side only.
            if domain.migrating { continue }
            let g = ha.group
            let state = believed[g]
            // A move under way is the moving nodes' business: the source reports how it ended.
            if case .migrating? = state?.status { continue }
            var locked = false
            if case .diskLocked? = state?.status { locked = true }
            let mine = state?.status.nodes == [node] && !locked
            if domain.active, !phase(of: g).isWatched {
                if mine {
                    let reported = phase(of: g) == .failed
                    setPhase(g, .watched(failureReported: reported))
                    // Where the coordinator has it online here already, watching it is all there is to do.
                    guard state?.status != .online(node) else { continue }
                    actions.append(NodeDirective(.report(.groupOnline(g, on: node), .adopted(domain: domain.name)),
                                              reason: "adopting HA domain \(domain.name) running here"))
                } else if told.insert(g).inserted {
                    actions.append(NodeDirective(.report(.groupOnline(g, on: node), .runsUnplaced(domain: domain.name, status: state?.status)),
                                              reason: "HA domain \(domain.name) runs here but the cluster places \(g) elsewhere or nowhere"))
                }
            } else if !domain.active, state?.status.nodes.contains(node) != true {
                undefine.append(domain.name)
            }
        }
        if !undefine.isEmpty {
            actions.append(NodeDirective(.undefine(undefine), reason: "a stopped HA domain exists only on its owner"))
        }
        let active = Set(inventory.domains.filter(\.active).map(\.name))
        // Groups the cluster thinks may still run here, from before a lost lease, that do not.
        let groups = believed.keys.sorted()
        for g in groups where !phase(of: g).isBusy {
            guard let state = believed[g] else { continue }
            let heldHere: Bool
            switch state.status {
            case .diskLocked(node?, _): heldHere = true
            case .offline, .failed: heldHere = state.lastHost == node
            default: heldHere = false
            }
            guard heldHere, definitions[g] != nil, !domains(of: g).contains(where: active.contains) else { continue }
            actions.append(NodeDirective(.report(.groupOffline(g, on: node), .notHere),
                                      reason: "the cluster may believe \(g) here, from before a lost lease; it does not run here"))
        }
        // Groups the cluster believes online here: watched from now on, whoever started them.
        for g in groups where believed[g]?.status == .online(node) && phase(of: g) == .idle {
            guard let def = definitions[g] else { continue }
            if domains(of: g).allSatisfy(active.contains) {
                setPhase(g, .watched(failureReported: false))
            } else {
                actions += failed(g, def.vms.first?.id ?? ResourceID(g.rawValue), .missing(domain: nil),
                                  reason: "\(g) is placed here by the cluster but does not run here")
            }
        }
        for g in phases.keys.sorted() where phase(of: g).isWatched {
            guard let missing = domains(of: g).first(where: { !active.contains($0) }) else { continue }
            actions += failed(g, haResource(of: missing)?.vm ?? ResourceID(missing), .missing(domain: missing),
                              reason: "HA domain \(missing) of \(g) is missing on its owner")
        }
        // Guests QEMU paused on an I/O error before this agent saw the event (it started, or its
        // connection to libvirtd was down): handled as if the event had come now.
        for domain in inventory.domains where domain.pausedByIOError {
            actions += suspended(domain.name, ioError: true, at: now)
        }
        return actions + [next]
    }
}
