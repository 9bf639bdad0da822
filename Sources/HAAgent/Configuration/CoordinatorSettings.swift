import HACore

/// How the leader decides beyond each group's policy: how many groups a drain moves at once, and
/// the quarantine of hosts that keep losing their lease.
public struct CoordinatorSettings: Codable, Sendable, Equatable {
    /// Groups a drain moves at once.
    public var drainConcurrency: Int = 2
    /// COUNT/PERIOD: a host that loses its lease this often within the period comes back quarantined.
    public var quarantine: String = "3/1h"
    /// How long a quarantine lasts before the host takes groups again on its own; 0s keeps it
    /// until an operator resumes it.
    public var quarantineDuration: String = "2h"

    enum CodingKeys: String, CodingKey {
        case drainConcurrency = "drain_concurrency", quarantine, quarantineDuration = "quarantine_duration"
    }

    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        drainConcurrency = try c.decodeIfPresent(Int.self, forKey: .drainConcurrency) ?? drainConcurrency
        quarantine = try c.decodeIfPresent(String.self, forKey: .quarantine) ?? quarantine
        quarantineDuration = try c.decodeIfPresent(String.self, forKey: .quarantineDuration) ?? quarantineDuration
    }

    /// The coordinator's configuration from these settings and the fencing margin; a bad setting is named.
    func coordinatorConfiguration(fencingMarginSeconds: Double) throws(ConfigurationFileError) -> CoordinatorConfiguration {
        guard drainConcurrency >= 1 else { throw .invalid(setting: "coordinator.drain_concurrency", problem: "must be at least 1") }
        let threshold: ThresholdPolicy
        do { threshold = try ThresholdPolicy(text: quarantine) } catch {
            throw .invalid(setting: "coordinator.quarantine", problem: error.description)
        }
        let duration: TimeSpan
        do { duration = try TimeSpan(text: quarantineDuration) } catch {
            throw .invalid(setting: "coordinator.quarantine_duration", problem: error.description)
        }
        return CoordinatorConfiguration(fencingMargin: .milliseconds(Int64(fencingMarginSeconds * 1000)),
                                        maxConcurrentMovesPerDrain: drainConcurrency,
                                        quarantine: threshold, quarantineDuration: duration)
    }
}

extension AgentConfiguration {
    /// The leader's coordinator configuration (validated with the rest of the file).
    public func coordinatorConfiguration() throws(ConfigurationFileError) -> CoordinatorConfiguration {
        try coordinator.coordinatorConfiguration(fencingMarginSeconds: membership.fencingMarginSeconds)
    }
}
