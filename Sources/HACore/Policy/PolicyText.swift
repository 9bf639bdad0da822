/// Why a policy setting given as text was refused.
public struct PolicyTextError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension TimeSpan {
    /// Parses `500ms`, `10s`, `15m`, `6h` or combinations such as `1m30s`.
    public init(text: String) throws(PolicyTextError) {
        var total: Int64 = 0
        var number = ""
        var chars = Array(text)[...]
        guard !chars.isEmpty else { throw PolicyTextError("empty time (use e.g. 30s, 15m, 6h)") }
        while let c = chars.first {
            if c.isASCII, c.isNumber { number.append(c); chars = chars.dropFirst(); continue }
            let unit: Int64
            if chars.starts(with: "ms") { unit = 1; chars = chars.dropFirst(2) } else {
                switch c {
                case "s": unit = 1000
                case "m": unit = 60_000
                case "h": unit = 3_600_000
                default: throw PolicyTextError("bad time '\(text)' (use e.g. 30s, 15m, 6h)")
                }
                chars = chars.dropFirst()
            }
            guard let n = Int64(number), n <= Int64.max / unit / 1000 else {
                throw PolicyTextError("bad time '\(text)' (use e.g. 30s, 15m, 6h)")
            }
            total += n * unit
            number = ""
        }
        guard number.isEmpty else { throw PolicyTextError("time '\(text)' lacks a unit (ms, s, m or h)") }
        self.init(milliseconds: total)
    }
}

extension ThresholdPolicy {
    /// Parses `COUNT/PERIOD`, e.g. `1/15m` (at most one in any 15 minutes).
    public init(text: String) throws(PolicyTextError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, let count = Int(parts[0]), count >= 0 else {
            throw PolicyTextError("bad threshold '\(text)' (use COUNT/PERIOD, e.g. 1/15m)")
        }
        let period = try TimeSpan(text: parts[1])
        guard period > .zero else { throw PolicyTextError("threshold '\(text)' needs a period longer than zero") }
        self.init(threshold: count, period: period)
    }

    /// The form `init(text:)` reads, e.g. `1/15m`.
    public var text: String { "\(threshold)/\(period)" }
}

extension FailbackPolicy {
    /// Parses `never`, `immediately` or `window:START-END` (hours 0-23, e.g. `window:1-5`).
    public init(text: String) throws(PolicyTextError) {
        switch text {
        case "never": self = .never
        case "immediately": self = .immediately
        default:
            let hours = text.dropFirst("window:".count).split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard text.hasPrefix("window:"), hours.count == 2, let start = hours[0], let end = hours[1],
                  (0...23).contains(start), (0...23).contains(end) else {
                throw PolicyTextError("bad failback '\(text)' (use never, immediately or window:START-END with hours 0-23)")
            }
            self = .window(startHour: start, endHour: end)
        }
    }

    /// The form `init(text:)` reads.
    public var text: String {
        switch self {
        case .never: "never"
        case .immediately: "immediately"
        case .window(let start, let end): "window:\(start)-\(end)"
        }
    }
}

extension GroupPolicy {
    /// One line for operators: every setting in the form the CLI takes.
    public var summary: String {
        let preferred = preferredOwners.isEmpty ? "none" : preferredOwners.map(\.rawValue).joined(separator: ",")
        let possible = possibleOwners.isEmpty ? "all" : possibleOwners.map(\.rawValue).sorted().joined(separator: ",")
        let classes = antiAffinityClasses.isEmpty ? "none" : antiAffinityClasses.sorted().joined(separator: ",")
        return "priority=\(priority.rawValue) preferred=\(preferred) possible=\(possible) restart=\(restart.text) "
            + "failover=\(failover.text) failback=\(failback.text) anti-affinity=\(classes)"
            + (migration.map { " migration=\($0.text)" } ?? "") + " paused=\(onPausedGuest.rawValue)"
    }
}
