import Foundation
import Yams

extension AgentConfiguration {
    /// Reads and validates a YAML configuration file; errors name the file and the setting.
    public static func load(path: String) throws -> AgentConfiguration {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigurationFileError.unreadable(path: path, problem: (error as NSError).localizedDescription)
        }
        do {
            let configuration = try YAMLDecoder().decode(AgentConfiguration.self, from: text)
            try configuration.validate()
            return configuration
        } catch let error as ConfigurationFileError {
            throw ConfigurationFileError.unreadable(path: path, problem: error.description)
        } catch let error as DecodingError {
            throw ConfigurationFileError.unreadable(path: path, problem: error.settingDescription)
        } catch {
            throw ConfigurationFileError.unreadable(path: path, problem: "\(error)")
        }
    }

    /// Checks settings that decode but cannot work together.
    public func validate() throws(ConfigurationFileError) {
        guard !node.isEmpty, node.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw .invalid(setting: "node", problem: "'\(node)' must be letters, digits, '-', '_' or '.'")
        }
        guard sharedStorage.hasPrefix("/") else { throw .invalid(setting: "shared_storage", problem: "must be an absolute path") }
        let m = membership
        guard m.leaseTTLSeconds >= 2 else { throw .invalid(setting: "membership.lease_ttl_seconds", problem: "must be at least 2 (etcd's minimum)") }
        guard m.keepAliveIntervalSeconds > 0, m.keepAliveIntervalSeconds * 2 <= Double(m.leaseTTLSeconds) else {
            throw .invalid(setting: "membership.keepalive_interval_seconds", problem: "must be positive and at most half the lease TTL")
        }
        guard m.selfFenceMarginSeconds > 0, m.selfFenceMarginSeconds < Double(m.leaseTTLSeconds) else {
            throw .invalid(setting: "membership.self_fence_margin_seconds", problem: "must be positive and less than the lease TTL")
        }
        guard m.fencingMarginSeconds >= 0 else { throw .invalid(setting: "membership.fencing_margin_seconds", problem: "must not be negative") }
        guard (-20...19).contains(m.nice) else { throw .invalid(setting: "membership.nice", problem: "must be a nice value from -20 to 19") }
        guard capacity.vcpuOvercommit >= 1 else { throw .invalid(setting: "capacity.vcpu_overcommit", problem: "must be at least 1") }
        guard health.probeFailures >= 1 else { throw .invalid(setting: "health.probe_failures", problem: "must be at least 1") }
        guard (1...300).contains(health.guestAgentTimeoutSeconds) else {
            throw .invalid(setting: "health.guest_agent_timeout_seconds", problem: "must be 1 to 300 seconds")
        }
        guard health.reconcileIntervalSeconds > 0 else { throw .invalid(setting: "health.reconcile_interval_seconds", problem: "must be positive") }
        guard health.hostCheckIntervalSeconds >= 0.5 else { throw .invalid(setting: "health.host_check_interval_seconds", problem: "must be at least 0.5 seconds") }
        guard health.libvirtCheckTimeoutSeconds >= 1 else { throw .invalid(setting: "health.libvirt_check_timeout_seconds", problem: "must be at least 1 second") }
        guard health.storageCheckTimeoutSeconds >= 1 else { throw .invalid(setting: "health.storage_check_timeout_seconds", problem: "must be at least 1 second") }
        guard health.storageCheckFailures >= 1 else { throw .invalid(setting: "health.storage_check_failures", problem: "must be at least 1") }
        for endpoint in store.etcdEndpoints where !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            throw .invalid(setting: "store.etcd_endpoints", problem: "'\(endpoint)' must start with http:// or https://")
        }
        try api.validate()
        _ = try coordinatorConfiguration()
        try fencing.validate()
        try watchdog.validate()
        try peers.validate()
        if (store.etcdCert == nil) != (store.etcdKey == nil) {
            throw .invalid(setting: "store.etcd_cert", problem: "a client certificate needs its key (etcd_key) and the other way round")
        }
    }
}

extension DecodingError {
    /// The setting path and problem, e.g. "membership.lease_ttl_seconds: expected Int".
    var settingDescription: String {
        func path(_ context: Context) -> String {
            let keys = context.codingPath.map(\.stringValue).joined(separator: ".")
            return keys.isEmpty ? "" : "setting \(keys): "
        }
        switch self {
        case .typeMismatch(let type, let context): return "\(path(context))expected \(type)"
        case .valueNotFound(let type, let context): return "\(path(context))missing \(type) value"
        case .keyNotFound(let key, let context): return "\(path(context))missing \(key.stringValue)"
        case .dataCorrupted(let context):
            if let inner = context.underlyingError as? ConfigurationFileError { return inner.description }
            if let inner = context.underlyingError { return "\(path(context))\(context.debugDescription): \(inner)" }
            return "\(path(context))\(context.debugDescription)"
        @unknown default: return "\(self)"
        }
    }
}
