/// Verifications (`vigil verify GROUP`): the group visits each possible owner in turn through the
/// ordinary move machinery (its ladder, the move budget) and goes back where it started; each step
/// is a decision with its reason, and the record stays with the group until the next verification.
extension ClusterCoordinator {
    /// Why `g` cannot be verified now (nil: it can): unknown, not online, moving, its node draining,
    /// a verification already under way, or no other possible owner. The API asks the same question.
    public func verificationRefusal(_ g: GroupID) -> String? {
        guard let def = definitions[g], let s = states[g] else { return "no group named \(g)" }
        if s.verification.map({ !$0.ended }) ?? false { return "a verification of \(g) is already under way" }
        guard case .online(let n) = s.status else {
            if case .migrating = s.status { return "\(g) is moving (\(s.status)); verify it once it is online" }
            return "\(g) is not online (it is \(s.status))"
        }
        if nodes[n]?.state == .draining { return "\(n), where \(g) runs, is draining" }
        if case .failure(let why) = Verification.start(origin: n, owners: possibleOwners(of: def), at: .zero) { return "\(g) \(why)" }
        return nil
    }

    /// Every known node the group's policy allows, by name.
    func possibleOwners(of def: GroupDefinition) -> [NodeID] { nodes.keys.filter { def.policy.allows($0) }.sorted() }

    mutating func verifyRequested(_ def: GroupDefinition, _ s: inout GroupState, _ out: inout Decisions) {
        states[def.id] = s
        if let why = verificationRefusal(def.id) { return out.add(.raiseAlert(.warning), "verify of \(def.id) refused: \(why)") }
        guard case .online(let n) = s.status, case .success(let v) = Verification.start(origin: n, owners: possibleOwners(of: def), at: out.now) else { return }
        s.verification = v
        out.add(.raiseAlert(.info), "verify of \(def.id) started on \(n): it visits \(v.pending.dropLast().map(\.rawValue).joined(separator: ", ")) in turn, then goes back to \(n)")
    }

    mutating func verifyAborted(_ def: GroupDefinition, _ s: inout GroupState, _ out: inout Decisions) {
        guard var v = s.verification, !v.ended else { return out.add(.raiseAlert(.warning), "abort of the verify of \(def.id) refused: none is under way") }
        v.abort(at: out.now)
        s.verification = v
        out.add(.raiseAlert(.info), "verify of \(def.id) aborted: no further owner is visited; it goes back to \(v.origin)")
    }

    /// One pass over the verifications under way: closes steps whose move ended, starts the next.
    mutating func verify(_ moves: inout MoveBudget, _ load: inout ClusterLoad, _ out: inout Decisions) {
        for id in priorityOrder {
            guard let def = definitions[id], var s = states[id], var v = s.verification, !v.ended else { continue }
            defer { states[id] = s }
            let action: Verification.Action
            switch s.status {
            case .online(let n):
                let closed = v.steps.prefix { $0.endedAt != nil }.count
                var without = load
                without.remove(def, from: n)
                action = v.settled(on: n, at: out.now, budget: moves.allows(from: n)) { target in
                    guard let node = nodes[target] else { return "\(target) is not a known node" }
                    if node.reserved { return "\(target) is a reserve host (it takes groups only when no other node can)" }
                    return Placement.rejection(of: node, for: def, in: without, excluding: []).map { "\(target) \($0)" }
                }
                for step in v.steps.dropFirst(closed) where step.endedAt != nil {
                    out.add(.raiseAlert(step.worked ? .info : .warning), step.worked
                            ? "verify of \(id): the move \(step.from)→\(step.target) worked (\(step.method?.rawValue ?? "-"), \(step.endedAt! - step.startedAt))"
                            : "verify of \(id): the move \(step.from)→\(step.target) failed: \(step.failure ?? "")")
                }
                if case .move(let target) = action {
                    load.add(def, to: target)
                    moves.count(from: n, to: target)
                    s.verification = v
                    startMove(def, &s, from: n, to: target, "verify of \(id): visiting \(target)", &out)
                    v = s.verification!
                    switch s.status {
                    case .migrating(_, _, let m): v.moving(by: m)
                    case .stopping: v.moving(by: .cold)
                    default: break
                    }
                }
            case .migrating(_, _, let m):
                v.moving(by: m)
                action = .wait
            case .stopping(_, _?):
                v.moving(by: .cold)
                action = .wait
            case .starting, .restarting, .stopping:
                action = .wait
            case .offline, .failed, .stopped, .diskLocked:
                action = v.lost("\(id) is \(s.status)", at: out.now)
            }
            s.verification = v
            if case .finished(let outcome) = action {
                out.add(.raiseAlert(outcome == .failed ? .warning : .info), "verify of \(id) \(v.summary)" + (v.failure.map { ": \($0)" } ?? ""))
            }
        }
    }
}
