/// How long a live migration may take before the supervisor climbs its ladder, and which rungs it
/// may use: the agent's defaults (vigild.yaml's `migration` section) with a group's overrides.
public struct MigrationLimits: Codable, Hashable, Sendable {
    /// Time allowed per GiB of guest memory for one pass of the copy to complete (KubeVirt: 150 s).
    public var completionPerGiB: TimeSpan
    /// Time allowed without the data still to copy reaching a new low (KubeVirt: 150 s).
    public var noProgress: TimeSpan
    /// Whether a stuck copy is tried again with the guest's vCPUs throttled (auto-converge).
    public var autoConverge: Bool
    /// Whether a stuck copy may switch to post-copy (the guest runs on the target and fetches its
    /// remaining memory from the source). Off by default: a network failure during post-copy loses
    /// the guest, since its state is then split between the two hosts.
    public var postCopy: Bool
    /// How long after asking for an abort the supervisor asks again while the job still runs.
    public var abortRetry: TimeSpan

    public static let defaultCompletionPerGiB = TimeSpan.seconds(150)
    public static let defaultNoProgress = TimeSpan.seconds(150)

    public init(completionPerGiB: TimeSpan = Self.defaultCompletionPerGiB, noProgress: TimeSpan = Self.defaultNoProgress,
                autoConverge: Bool = true, postCopy: Bool = false, abortRetry: TimeSpan = .seconds(5)) {
        self.completionPerGiB = completionPerGiB
        self.noProgress = noProgress
        self.autoConverge = autoConverge
        self.postCopy = postCopy
        self.abortRetry = abortRetry
    }

    /// These limits with a group's overrides applied.
    public func overridden(by policy: MigrationPolicy?) -> MigrationLimits {
        guard let policy else { return self }
        var limits = self
        if let v = policy.completionPerGiB { limits.completionPerGiB = v }
        if let v = policy.noProgress { limits.noProgress = v }
        if let v = policy.autoConverge { limits.autoConverge = v }
        if let v = policy.postCopy { limits.postCopy = v }
        return limits
    }

    /// The completion budget of one pass for a guest of `memoryMiB`.
    public func completionBudget(memoryMiB: Int) -> TimeSpan {
        TimeSpan(milliseconds: completionPerGiB.milliseconds * Int64(max(memoryMiB, 1)) / 1024)
    }
}

/// A group's own live-migration limits; nil settings follow the agent's `migration` section.
public struct MigrationPolicy: Codable, Hashable, Sendable {
    public var completionPerGiB: TimeSpan?
    public var noProgress: TimeSpan?
    public var autoConverge: Bool?
    public var postCopy: Bool?

    public init(completionPerGiB: TimeSpan? = nil, noProgress: TimeSpan? = nil, autoConverge: Bool? = nil, postCopy: Bool? = nil) {
        self.completionPerGiB = completionPerGiB
        self.noProgress = noProgress
        self.autoConverge = autoConverge
        self.postCopy = postCopy
    }

    /// Whether every setting follows the agent's.
    public var isEmpty: Bool { completionPerGiB == nil && noProgress == nil && autoConverge == nil && postCopy == nil }
}

extension MigrationPolicy {
    /// Parses `default` (follow the agents) or comma-separated settings, e.g.
    /// `completion-per-gib=60s,no-progress=30s,auto-converge=on,post-copy=off`.
    public init(text: String) throws(PolicyTextError) {
        self.init()
        guard text != "default" else { return }
        for item in text.split(separator: ",").map(String.init) {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw PolicyTextError("bad migration setting '\(item)' (use NAME=VALUE: \(Self.names))") }
            switch parts[0] {
            case "completion-per-gib": completionPerGiB = try Self.positive(parts[1], parts[0])
            case "no-progress": noProgress = try Self.positive(parts[1], parts[0])
            case "auto-converge": autoConverge = try Self.flag(parts[1], parts[0])
            case "post-copy": postCopy = try Self.flag(parts[1], parts[0])
            default: throw PolicyTextError("unknown migration setting '\(parts[0])' (use \(Self.names))")
            }
        }
    }

    /// The form `init(text:)` reads.
    public var text: String {
        let items = [completionPerGiB.map { "completion-per-gib=\($0)" }, noProgress.map { "no-progress=\($0)" },
                     autoConverge.map { "auto-converge=\($0 ? "on" : "off")" }, postCopy.map { "post-copy=\($0 ? "on" : "off")" }]
        let set = items.compactMap { $0 }
        return set.isEmpty ? "default" : set.joined(separator: ",")
    }

    private static let names = "completion-per-gib, no-progress, auto-converge, post-copy"

    private static func positive(_ text: String, _ name: String) throws(PolicyTextError) -> TimeSpan {
        let span = try TimeSpan(text: text)
        guard span > .zero else { throw PolicyTextError("migration setting \(name) needs a time longer than zero") }
        return span
    }

    private static func flag(_ text: String, _ name: String) throws(PolicyTextError) -> Bool {
        switch text {
        case "on": return true
        case "off": return false
        default: throw PolicyTextError("migration setting \(name) is on or off, not '\(text)'")
        }
    }
}
