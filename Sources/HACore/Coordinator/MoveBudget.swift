/// How many more moves may start now: at most `perSource` off one node and `perCluster` in all
/// (KubeVirt's defaults: 2 outbound per node, 5 per cluster), counting the moves under way; and how
/// many are headed to each node, so that placement spreads moves instead of piling them on one host.
struct MoveBudget: Sendable {
    let perSource: Int
    let perCluster: Int
    private(set) var outgoing: [NodeID: Int] = [:]
    private(set) var incoming: [NodeID: Int] = [:]
    private(set) var total = 0

    init(perSource: Int, perCluster: Int) {
        self.perSource = perSource
        self.perCluster = perCluster
    }

    /// Whether another move off `source` may start now.
    func allows(from source: NodeID) -> Bool { total < perCluster && outgoing[source, default: 0] < perSource }

    /// Counts a move (under way, or started now).
    mutating func count(from source: NodeID, to target: NodeID?) {
        total += 1
        outgoing[source, default: 0] += 1
        if let target { incoming[target, default: 0] += 1 }
    }

    /// Counts the group's move if its status is one (a live or quick migration, or a cold move's stop).
    mutating func count(_ status: GroupStatus) {
        switch status {
        case .migrating(let a, let b, _): count(from: a, to: b)
        case .stopping(let a, let b?): count(from: a, to: b)
        default: break
        }
    }
}
