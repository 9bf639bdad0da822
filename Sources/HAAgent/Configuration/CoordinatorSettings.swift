import HACore

/// How the leader decides beyond each group's policy: how many groups move at once (off one host,
/// and in the cluster), how long a drain may take, and the quarantine of hosts that keep losing
/// their lease. Defaults are the coordinator's own.
public struct CoordinatorSettings: Codable, Sendable, Equatable {
    /// Groups moving off one host at once (a drain, a reserve host emptied, failbacks; KubeVirt: 2).
    public var drainConcurrency: Int = CoordinatorConfiguration().maxConcurrentMovesPerDrain
    /// Groups moving at once in the whole cluster (KubeVirt: 5).
    public var clusterMoveConcurrency: Int = CoordinatorConfiguration().maxConcurrentMovesPerCluster
    /// How long a drain may take unless `vigil node drain --deadline` says otherwise.
    public var drainDeadline: String = CoordinatorConfiguration().drainDeadline.description
    /// COUNT/PERIOD: a host that loses its lease this often within the period comes back quarantined.
    public var quarantine: String = "3/1h"
    /// How long a quarantine lasts before the host takes groups again on its own; 0s keeps it
    /// until an operator resumes it.
    public var quarantineDuration: String = "2h"
    /// How long a new leader waits for a member that has not renewed under it before it counts as lost.
    public var startupGrace: String = "30s"
    /// How often a start that disk locks refused is tried again.
    public var lockRetryInterval: String = "5s"

    enum CodingKeys: String, CodingKey {
        case drainConcurrency = "drain_concurrency", clusterMoveConcurrency = "cluster_move_concurrency", drainDeadline = "drain_deadline"
        case quarantine, quarantineDuration = "quarantine_duration"
        case startupGrace = "startup_grace", lockRetryInterval = "lock_retry_interval"
    }

    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        drainConcurrency = try c.decodeIfPresent(Int.self, forKey: .drainConcurrency) ?? drainConcurrency
        clusterMoveConcurrency = try c.decodeIfPresent(Int.self, forKey: .clusterMoveConcurrency) ?? clusterMoveConcurrency
        drainDeadline = try c.decodeIfPresent(String.self, forKey: .drainDeadline) ?? drainDeadline
        quarantine = try c.decodeIfPresent(String.self, forKey: .quarantine) ?? quarantine
        quarantineDuration = try c.decodeIfPresent(String.self, forKey: .quarantineDuration) ?? quarantineDuration
        startupGrace = try c.decodeIfPresent(String.self, forKey: .startupGrace) ?? startupGrace
        lockRetryInterval = try c.decodeIfPresent(String.self, forKey: .lockRetryInterval) ?? lockRetryInterval
    }

    /// The coordinator's configuration from these settings and the fencing margin; a bad setting is named.
    func coordinatorConfiguration(fencingMarginSeconds: Double) throws(ConfigurationFileError) -> CoordinatorConfiguration {
        guard drainConcurrency >= 1 else { throw .invalid(setting: "coordinator.drain_concurrency", problem: "must be at least 1") }
        guard clusterMoveConcurrency >= 1 else {
            throw .invalid(setting: "coordinator.cluster_move_concurrency", problem: "must be at least 1")
        }
        let threshold: ThresholdPolicy
        do { threshold = try ThresholdPolicy(text: quarantine) } catch {
            throw .invalid(setting: "coordinator.quarantine", problem: error.description)
        }
        func span(_ text: String, _ setting: String, positive: Bool = false) throws(ConfigurationFileError) -> TimeSpan {
            let value: TimeSpan
            do { value = try TimeSpan(text: text) } catch { throw .invalid(setting: "coordinator.\(setting)", problem: error.description) }
            if positive && value <= .zero { throw .invalid(setting: "coordinator.\(setting)", problem: "must be longer than 0s") }
            return value
        }
        return CoordinatorConfiguration(fencingMargin: .milliseconds(Int64(fencingMarginSeconds * 1000)),
                                        maxConcurrentMovesPerDrain: drainConcurrency,
                                        quarantine: threshold,
                                        quarantineDuration: try span(quarantineDuration, "quarantine_duration"),
                                        startupGrace: try span(startupGrace, "startup_grace"),
                                        lockRetryInterval: try span(lockRetryInterval, "lock_retry_interval", positive: true),
                                        maxConcurrentMovesPerCluster: clusterMoveConcurrency,
                                        drainDeadline: try span(drainDeadline, "drain_deadline", positive: true))
    }
}

extension AgentConfiguration {
    /// The leader's coordinator configuration (validated with the rest of the file).
    public func coordinatorConfiguration() throws(ConfigurationFileError) -> CoordinatorConfiguration {
        try coordinator.coordinatorConfiguration(fencingMarginSeconds: membership.fencingMarginSeconds)
    }
}
