/// The coordinator's in-place restart rule: at most
/// `threshold` restarts of a group on one node within the period.
public enum RestartBudget {
    /// Takes one restart from `window` if the policy allows it at `now`; returns its number (1-based),
    /// or nil when the restarts are used up (time to fail over).
    public static func take(_ window: inout SlidingWindow, _ policy: ThresholdPolicy, at now: Timestamp) -> Int? {
        guard window.allowsAnother(policy, at: now) else { return nil }
        window.record(now)
        return window.times.count
    }
}
