/// How long before the earliest possible lease expiry a node starts fencing itself: a fixed slack
/// (clock-rate drift, a fence timer firing late) plus the time killing its HA guests takes, estimated
/// from the kills it measured and scaled to the number of guests it runs now (pure; no IO).
///
/// Each measured kill of `n` guests that took `d` says a kill of `m ≥ n` guests takes at most
/// `d · m / n` (linear: a pessimistic bound for kills done in parallel) and one of fewer guests at
/// most `d`. The estimate for `m` guests is the largest such bound over the last kills measured; before
/// any kill was measured, `prior` per guest. The margin never exceeds `ceiling` (beyond it the node
/// could not hold its lease between two renewals); `fits` says when the guests need more than that.
public struct SelfFenceMargin: Sendable, Hashable {
    /// Kept whatever the guests: clock-rate drift and timer lateness.
    public let slack: TimeSpan
    /// The largest margin the lease allows.
    public let ceiling: TimeSpan
    /// The assumed kill time per guest until one is measured.
    public let prior: TimeSpan
    /// The last kills measured (guests killed, time until all were gone), newest last.
    public private(set) var kills: [Kill] = []
    /// How many measured kills are kept.
    public static let kept = 8

    /// One measured kill.
    public struct Kill: Sendable, Hashable {
        public var guests: Int
        public var took: TimeSpan
    }

    public init(slack: TimeSpan, ceiling: TimeSpan, prior: TimeSpan = .milliseconds(100)) {
        precondition(slack <= ceiling, "the slack must fit under the ceiling")
        self.slack = slack
        self.ceiling = ceiling
        self.prior = prior
    }

    /// A kill of `guests` guests took `took` (from the first signal until the last one was gone).
    public mutating func measured(guests: Int, took: TimeSpan) {
        guard guests > 0 else { return }
        kills.append(Kill(guests: guests, took: max(took, .zero)))
        if kills.count > Self.kept { kills.removeFirst(kills.count - Self.kept) }
    }

    /// The estimated time to kill `guests` guests.
    public func killTime(guests: Int) -> TimeSpan {
        guard guests > 0 else { return .zero }
        guard !kills.isEmpty else { return prior * Int64(guests) }
        return kills.map { k in
            guests <= k.guests ? k.took : TimeSpan(milliseconds: (k.took.milliseconds * Int64(guests) + Int64(k.guests) - 1) / Int64(k.guests))
        }.max()!
    }

    /// What the margin should be for `guests` guests, uncapped.
    public func needed(guests: Int) -> TimeSpan { slack + killTime(guests: guests) }

    /// The margin to keep with `guests` guests: what they need, at most the ceiling.
    public func margin(guests: Int) -> TimeSpan { min(needed(guests: guests), ceiling) }

    /// Whether the lease leaves enough time to kill `guests` guests.
    public func fits(guests: Int) -> Bool { needed(guests: guests) <= ceiling }
}
