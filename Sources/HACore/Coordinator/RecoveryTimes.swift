/// How a group's last recovery from a lost node went: when the loss was detected, when the node was
/// proved dead (or presumed, on the lease path), when the start elsewhere was ordered and when the
/// group was confirmed online. Kept with the group's state, shown in status.
public struct RecoveryTimes: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The node the group was recovered from.
    public var node: NodeID
    /// When its peers suspected it, or its lease was lost.
    public var detected: Timestamp?
    /// When it was fenced: a confirmed power-off or an expired watchdog (`proven`), or the end of the
    /// fencing margin after its lease was lost.
    public var fenced: Timestamp
    public var proven: Bool
    /// When the start elsewhere was ordered, and when the group was confirmed online.
    public var started: Timestamp?
    public var online: Timestamp?
    /// When its guests first answered a health probe (isAlive) on the new node; nil until then, and
    /// for good where no probe is configured (no guest agent channel, no probe command).
    public var firstProbe: Timestamp?

    public init(node: NodeID, detected: Timestamp?, fenced: Timestamp, proven: Bool) {
        self.node = node
        self.detected = detected
        self.fenced = fenced
        self.proven = proven
    }

    /// E.g. "from h1, after its loss was detected: fenced (proven) +310ms, start +310ms, online +950ms,
    /// first probe +4s120ms".
    public var description: String {
        let origin = detected ?? fenced
        func after(_ t: Timestamp?) -> String { t.map { "+\($0 - origin)" } ?? "-" }
        return "from \(node), after its \(detected == nil ? "fence" : "loss was detected"): fenced (\(proven ? "proven" : "lease and margin")) "
            + "\(after(fenced)), start \(after(started)), online \(after(online))"
            + (firstProbe.map { ", first probe \(after($0))" } ?? "")
    }
}
