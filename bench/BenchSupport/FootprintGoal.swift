/// The footprint issue 15 asks of vigild watching 100 domains: at most 40 MiB resident and at most
/// 1% of one core while idle.
public struct FootprintGoal: Sendable, Equatable {
    public var residentMiBAtMost: Double = 40
    public var idleCPUPercentAtMost: Double = 1

    public init() {}

    /// Whether a run meets it: resident memory while watching (VmRSS, not the start-up peak) and idle CPU.
    public func met(residentMiB: Double, idleCPUPercent: Double) -> Bool {
        residentMiB <= residentMiBAtMost && idleCPUPercent <= idleCPUPercentAtMost
    }
}
