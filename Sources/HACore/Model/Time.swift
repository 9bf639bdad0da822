/// A point in time: milliseconds since an arbitrary epoch chosen by the shell (Unix epoch in vigild).
public struct Timestamp: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// Milliseconds since the epoch.
    public var milliseconds: Int64
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public static let zero = Timestamp(milliseconds: 0)
    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.milliseconds < b.milliseconds }
    public static func + (t: Timestamp, d: TimeSpan) -> Timestamp { Timestamp(milliseconds: t.milliseconds + d.milliseconds) }
    public static func - (t: Timestamp, d: TimeSpan) -> Timestamp { Timestamp(milliseconds: t.milliseconds - d.milliseconds) }
    public static func - (a: Timestamp, b: Timestamp) -> TimeSpan { TimeSpan(milliseconds: a.milliseconds - b.milliseconds) }
    /// Hour of the day (0–23), taking the epoch as a midnight (true for the Unix epoch in UTC).
    public var hourOfDay: Int { Int((milliseconds / 3_600_000) % 24) }
    /// The next instant at or after this one whose hour of the day is `hour`, at the full hour.
    public func nextStart(ofHour hour: Int) -> Timestamp {
        let dayStart = milliseconds - milliseconds % 86_400_000
        var t = dayStart + Int64(hour) * 3_600_000
        if t < milliseconds { t += 86_400_000 }
        return Timestamp(milliseconds: t)
    }
    /// Seconds since the epoch with millisecond precision, e.g. `85.000s`.
    public var description: String {
        let sign = milliseconds < 0 ? "-" : ""
        let m = abs(milliseconds)
        let frac = String(m % 1000)
        return "\(sign)\(m / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)s"
    }
}

/// A length of time in milliseconds (periods, margins, delays).
public struct TimeSpan: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// Length in milliseconds.
    public var milliseconds: Int64
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public static func milliseconds(_ v: Int64) -> TimeSpan { TimeSpan(milliseconds: v) }
    public static func seconds(_ v: Int64) -> TimeSpan { TimeSpan(milliseconds: v * 1000) }
    public static func minutes(_ v: Int64) -> TimeSpan { TimeSpan(milliseconds: v * 60_000) }
    public static func hours(_ v: Int64) -> TimeSpan { TimeSpan(milliseconds: v * 3_600_000) }
    public static let zero = TimeSpan(milliseconds: 0)
    public static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.milliseconds < b.milliseconds }
    public static func * (d: TimeSpan, k: Int64) -> TimeSpan { TimeSpan(milliseconds: d.milliseconds * k) }
    public static func + (a: TimeSpan, b: TimeSpan) -> TimeSpan { TimeSpan(milliseconds: a.milliseconds + b.milliseconds) }
    /// Compact form such as `6h`, `1m30s`, `500ms` (what scenario scripts read).
    public var description: String {
        var ms = abs(milliseconds)
        if ms == 0 { return "0s" }
        var out = milliseconds < 0 ? "-" : ""
        for (unit, name) in [(Int64(3_600_000), "h"), (60_000, "m"), (1000, "s"), (1, "ms")] where ms >= unit {
            out += "\(ms / unit)\(name)"
            ms %= unit
        }
        return out
    }
}

extension TimeSpan {
    /// The span of a `Duration`, in whole milliseconds (rounded toward zero).
    public init(_ d: Duration) {
        self.init(milliseconds: d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
    }

    /// The span as a `Duration`.
    public var duration: Duration { .milliseconds(milliseconds) }
}
