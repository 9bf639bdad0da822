/// What the peer failure detector concluded about one peer.
public enum PeerVerdict: Hashable, Sendable {
    /// Nothing was heard from the peer for the timeout (or longer) since `lastHeard`.
    case suspected(NodeID, lastHeard: Timestamp)
    /// A suspected peer was heard again.
    case recovered(NodeID)
}

/// The pure failure detector behind peer heartbeats (no IO, time injected).
///
/// Each watched peer has the time it was last heard. A peer silent for `timeout` or longer is
/// suspected, once per silence: the next `tick` does not repeat it, and only a beat (`heard`) clears
/// it, which is reported as `.recovered`. A peer that starts being watched counts as heard at that
/// moment, so it is never suspected before it had a whole timeout to be heard; a peer no longer
/// watched is forgotten, suspicion and all. Beats from peers not watched change nothing.
///
/// Suspicion is only a signal: it never means a peer is dead, and nothing starts a VM because of it
/// (the shell leads it to fencing, which first asks the peer's libvirtd).
public struct PeerLiveness: Sendable, Hashable {
    /// How long a peer may be silent before it is suspected.
    public let timeout: TimeSpan
    private var heardAt: [NodeID: Timestamp] = [:]
    /// The peers suspected now (silent for the timeout, not heard since).
    public private(set) var suspected: Set<NodeID> = []

    public init(timeout: TimeSpan) { self.timeout = timeout }

    /// The peers watched.
    public var tracked: Set<NodeID> { Set(heardAt.keys) }

    /// When the peer was last heard (or started being watched); nil for a peer not watched.
    public func lastHeard(_ node: NodeID) -> Timestamp? { heardAt[node] }

    /// Watch exactly `nodes` from `now` on: a new one counts as heard now, one no longer listed is forgotten.
    public mutating func track(_ nodes: Set<NodeID>, at now: Timestamp) {
        for node in heardAt.keys where !nodes.contains(node) { heardAt[node] = nil }
        suspected.formIntersection(nodes)
        for node in nodes where heardAt[node] == nil { heardAt[node] = now }
    }

    /// A beat from `node` arrived at `now`. Recovers the peer if it was suspected. A beat older than
    /// the last one known does not move the time back.
    public mutating func heard(_ node: NodeID, at now: Timestamp) -> [PeerVerdict] {
        guard let last = heardAt[node] else { return [] }
        heardAt[node] = max(last, now)
        guard suspected.remove(node) != nil else { return [] }
        return [.recovered(node)]
    }

    /// Time passes: suspects every watched peer silent for the timeout or longer that is not
    /// suspected already (in node order).
    public mutating func tick(at now: Timestamp) -> [PeerVerdict] {
        var verdicts: [PeerVerdict] = []
        for (node, last) in heardAt.sorted(by: { $0.key < $1.key }) where !suspected.contains(node) && now - last >= timeout {
            suspected.insert(node)
            verdicts.append(.suspected(node, lastHeard: last))
        }
        return verdicts
    }
}
