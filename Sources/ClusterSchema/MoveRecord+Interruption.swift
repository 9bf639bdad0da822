import HACore

extension MoveRecord {
    /// Whether this move's current phase was `node`'s to perform: the source writes while it
    /// migrates or saves, the target while it restores. A freshly started agent of that node that
    /// finds such a record knows its previous process died in the middle of the move.
    public func isPerformed(by node: NodeID) -> Bool {
        switch phase {
        case .migrating, .saving: from == node
        case .restoring: to == node
        case .saved, .done, .failed, .aborted: false
        }
    }

    /// Whether the move has not ended: a phase after which its source or target still has work to do.
    public var isUnderWay: Bool {
        switch phase {
        case .migrating, .saving, .saved, .restoring: true
        case .done, .failed, .aborted: false
        }
    }

    /// Why a move its performer's agent died in ends `failed`: status no longer shows it in flight,
    /// and no restore trusts a save that may not have finished.
    public func interruption(of node: NodeID) -> String {
        "the agent of \(node) stopped during the move's \(phase.rawValue) phase and started again; "
            + "the move did not finish under it: where each VM runs now decides what follows"
    }
}
