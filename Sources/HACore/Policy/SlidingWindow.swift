/// The times of recent events (restarts, failovers), pruned to a sliding period; Codable for storage.
public struct SlidingWindow: Hashable, Codable, Sendable {
    /// Event times, oldest first.
    public private(set) var times: [Timestamp] = []
    public init() {}

    /// Number of events within `period` before `now`.
    public mutating func count(within period: TimeSpan, at now: Timestamp) -> Int {
        let cutoff = now - period
        times.removeAll { $0 <= cutoff }
        return times.count
    }

    /// True if another event at `now` stays within `policy`.
    public mutating func allowsAnother(_ policy: ThresholdPolicy, at now: Timestamp) -> Bool {
        count(within: policy.period, at: now) < policy.threshold
    }

    public mutating func record(_ now: Timestamp) { times.append(now) }
    public mutating func reset() { times.removeAll() }
    /// Forgets the most recent event (one that turned out not to count).
    public mutating func dropLatest() { if !times.isEmpty { times.removeLast() } }
}
