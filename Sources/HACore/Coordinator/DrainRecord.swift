/// What one drain of a node has done and decided: its deadline, the groups it moved off (brought
/// home again by `vigil node resume --failback`), how often it tried each group, the groups it left
/// where they run and why, and how it ended. Kept with the node until the next drain.
public struct DrainRecord: Hashable, Codable, Sendable {
    /// How a drain ended.
    public enum Outcome: String, Hashable, Codable, Sendable {
        /// Every group left the node.
        case complete
        /// Groups stayed (no node could take them, every rung failed, or the deadline passed): see `left`.
        case incomplete
        /// An operator aborted it: moves in flight were aborted, groups not yet moved stayed.
        case aborted
    }

    /// When it was asked for (absent from drains recorded by older leaders): tells one drain from the next.
    public var startedAt: Timestamp?
    /// When the drain gives up: no new moves, live migrations in flight aborted, the drain incomplete.
    public var deadline: Timestamp
    /// Groups this drain began to move off the node, in the order it began (see `movedOff`).
    public var moved: [GroupID] = []
    /// Groups this drain moved off the node: those it began to move and did not leave there.
    public var movedOff: [GroupID] { moved.filter { left[$0] == nil } }
    /// Moves started for each group (the drain's own and each rung it fell back to).
    public var attempts: [GroupID: Int] = [:]
    /// Groups the drain left on the node, and why.
    public var left: [GroupID: String] = [:]
    /// Set once it ended.
    public var outcome: Outcome?
    /// Groups still to bring home after `resume --failback`, most important first.
    public var failback: [GroupID] = []

    public init(deadline: Timestamp, startedAt: Timestamp? = nil) {
        self.deadline = deadline
        self.startedAt = startedAt
    }

    /// Whether it is over: a move that fails now stays where it runs instead of falling back.
    public var ended: Bool { outcome != nil }

    /// The outcome in one line, naming each group left and why.
    public var summary: String? {
        guard let outcome else { return nil }
        let groups = left.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }
        switch outcome {
        case .complete: return "complete: \(moved.count) group(s) moved off"
        case .incomplete: return "incomplete: \(groups.count) group(s) left: " + groups.joined(separator: "; ")
        case .aborted: return "aborted" + (groups.isEmpty ? "" : ": \(groups.count) group(s) left: " + groups.joined(separator: "; "))
        }
    }
}
