/// Configurations re-read on SIGHUP, handed from the executable to the running agent.
public final class ConfigurationReloads: Sendable {
    let updates: AsyncStream<AgentConfiguration>
    private let continuation: AsyncStream<AgentConfiguration>.Continuation

    public init() {
        (updates, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Hands a freshly loaded and validated configuration to the agent.
    public func submit(_ configuration: AgentConfiguration) { continuation.yield(configuration) }
}

extension AgentConfiguration {
    /// Settings that take effect while the agent runs: log level, health checks, migration.
    public static let reloadableSettings = ["log_level", "health", "migration"]

    /// The settings that differ from `running` but only take effect after a restart.
    public func restartOnlyChanges(from running: AgentConfiguration) -> [String] {
        var changed: [String] = []
        if node != running.node { changed.append("node") }
        if cluster != running.cluster { changed.append("cluster") }
        if libvirtURI != running.libvirtURI { changed.append("libvirt_uri") }
        if migrationURI != running.migrationURI { changed.append("migration_uri") }
        if sharedStorage != running.sharedStorage { changed.append("shared_storage") }
        if store != running.store { changed.append("store") }
        if membership != running.membership { changed.append("membership") }
        if api != running.api { changed.append("api") }
        if capacity != running.capacity { changed.append("capacity") }
        if coordinator != running.coordinator { changed.append("coordinator") }
        if fencing != running.fencing { changed.append("fencing") }
        if watchdog != running.watchdog { changed.append("watchdog") }
        if peers != running.peers { changed.append("peers") }
        if qemuConfPath != running.qemuConfPath { changed.append("qemu_conf") }
        return changed
    }
}
