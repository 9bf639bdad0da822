/// An operator's offline (`vigil group stop` / `start`): a stopped group is taken offline in reverse
/// dependency order and then stays offline, whatever fails or fences, until an operator starts it.
extension ClusterCoordinator {
    mutating func stopRequested(_ def: GroupDefinition, _ s: inout GroupState, _ out: inout Decisions) {
        let g = def.id
        switch s.phase {
        case .stopped(let n):
            return out.add(.raiseAlert(.info), "stop of \(g) ignored: it is already stopped\(n.map { " (going offline on \($0))" } ?? "")")
        case .migrating(let a, let b, let m, _):
            return out.add(.raiseAlert(.warning), "stop of \(g) refused: it is busy (\(m) migration \(a)->\(b)); try again when the move ends")
        case .online(let n, _), .starting(let n, _), .restarting(let n, _, _), .stopping(let n, _, _):
            s.phase = .stopped(on: n)
            s.possibleHosts.insert(n)
            s.lastAlert = nil
            out.add(.takeOffline(g, on: n, order: def.offlineOrder),
                    "operator stopped \(g): take it offline on \(n) (\(def.offlineOrder.map(\.rawValue).joined(separator: ", "))); it stays offline until started")
        case .diskLocked where s.possibleHosts.contains { nodes[$0]?.state != .down }:
            // A start retried on a reachable node is under way: take it offline there.
            let n = s.possibleHosts.sorted().first { nodes[$0]?.state != .down }!
            s.phase = .stopped(on: n)
            s.lastAlert = nil
            out.add(.takeOffline(g, on: n, order: def.offlineOrder),
                    "operator stopped \(g): take it offline on \(n), where a start was being retried; it stays offline until started")
        case .offline, .failed, .diskLocked:
            // Runs nowhere the cluster controls: nothing to take offline. A node that may still run it
            // (an unreachable agent) stays in `possibleHosts`, and its report takes it offline there.
            s.phase = .stopped(on: nil)
            s.lastAlert = nil
            out.add(.raiseAlert(.info), "\(g) is stopped by an operator (it ran nowhere); it stays offline until started")
        }
    }

    /// A stopped group's stop is confirmed on `n` (or `n` was fenced).
    func stopConfirmed(_ g: GroupID, _ s: inout GroupState, on n: NodeID, _ why: String, _ out: inout Decisions) {
        s.phase = .stopped(on: nil)
        s.possibleHosts.remove(n)
        out.add(.raiseAlert(.info), "\(g) is stopped: \(why); it stays offline until an operator starts it")
    }

    mutating func startRequested(_ def: GroupDefinition, _ s: inout GroupState, _ target: NodeID?, _ out: inout Decisions) {
        let g = def.id
        guard case .stopped(let stopping) = s.phase else {
            return out.add(.raiseAlert(.warning), "start of \(g) refused: it is not stopped (\(s.status)); use vigil group move")
        }
        if let t = target, nodes[t] == nil { return out.add(.raiseAlert(.warning), "start of \(g) refused: no node named \(t)") }
        let request = GroupState.Pending(request: GroupState.StartRequest(target: target))
        if let n = stopping {
            // Still going offline there: placed once that is confirmed.
            s.phase = .stopping(n, then: nil, request)
            return out.add(.raiseAlert(.info), "start of \(g) accepted: it is placed once its stop on \(n) is confirmed")
        }
        if s.possibleHosts.isEmpty {
            let decision = placement(for: def, s, request, clusterLoad())
            guard decision.node != nil else {
                return out.add(.raiseAlert(.warning), "start of \(g) refused: \(decision.reason); it stays stopped")
            }
        }
        s.failovers.reset()  // an operator's start clears the failure history, as a move does
        s.restarts = [:]
        s.phase = .offline(request)
        s.lastAlert = nil
    }
}
