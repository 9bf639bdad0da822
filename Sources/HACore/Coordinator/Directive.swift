/// How serious an alert is.
public enum AlertSeverity: String, Hashable, Codable, Sendable { case info, warning, critical }

/// Why a group is being brought online: lets a shell and the simulator tell failovers from moves.
public enum StartCause: String, Hashable, Codable, Sendable {
    /// First start, or a start the operator asked for.
    case start
    /// Recovery after a node or resource failure: counts against the failover threshold.
    case failover
    /// Second half of a cold move (drain, failback, operator move) or of a failed quick migration.
    case move
    /// A start tried again after disk locks refused it (the group presumably runs elsewhere): not counted.
    case retry
}

/// Something the coordinator wants a shell to do, with a reason a human can read.
public struct Directive: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The action itself.
    public enum Action: Hashable, Codable, Sendable {
        /// Start the group's resources on the node, in this (dependency) order.
        case bringOnline(GroupID, on: NodeID, order: [ResourceID], cause: StartCause)
        /// Stop the group's resources on the node, in this (reverse dependency) order.
        case takeOffline(GroupID, on: NodeID, order: [ResourceID])
        /// Restart one failed resource in place.
        case restartResource(GroupID, ResourceID, on: NodeID)
        case liveMigrate(GroupID, from: NodeID, to: NodeID)
        case quickMigrate(GroupID, from: NodeID, to: NodeID)
        /// Abort the group's live migration under way from the node (the guests keep running there),
        /// which then reports the move failed.
        case abortMove(GroupID, on: NodeID)
        /// Make sure the node runs nothing (fence device, or wait for its watchdog), then report `nodeFenced`.
        case fenceNode(NodeID)
        /// Feed `timerFired` at (or after) this time.
        case waitUntil(Timestamp)
        case raiseAlert(AlertSeverity)
    }

    public let action: Action
    public let reason: String

    public init(_ action: Action, reason: String) { self.action = action; self.reason = reason }

    public var description: String { "\(actionDescription) -- \(reason)" }

    /// The action alone, as one readable line.
    public var actionDescription: String {
        switch action {
        case .bringOnline(let g, let n, let o, let c):
            return "bring-online \(g) on \(n) (\(c.rawValue)) order=\(o.map(\.rawValue).joined(separator: ","))"
        case .takeOffline(let g, let n, let o): return "take-offline \(g) on \(n) order=\(o.map(\.rawValue).joined(separator: ","))"
        case .restartResource(let g, let r, let n): return "restart \(g)/\(r) on \(n)"
        case .liveMigrate(let g, let a, let b): return "live-migrate \(g) \(a)->\(b)"
        case .quickMigrate(let g, let a, let b): return "quick-migrate \(g) \(a)->\(b)"
        case .abortMove(let g, let n): return "abort-move \(g) on \(n)"
        case .fenceNode(let n): return "fence \(n)"
        case .waitUntil(let t): return "wait-until \(t)"
        case .raiseAlert(let s): return "alert \(s.rawValue)"
        }
    }
}
