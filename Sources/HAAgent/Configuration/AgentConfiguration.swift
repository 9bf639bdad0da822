import Foundation
import HACore
import HACoordination

/// Everything `vigild` reads from its configuration file; every setting has a default except the
/// shared storage directory. `deploy/vigild.yaml` documents each one.
public struct AgentConfiguration: Codable, Sendable, Equatable {
    /// This host's name in the cluster (default: the host name).
    public var node: String
    /// The cluster's name; the store keeps each cluster under its own prefix.
    public var cluster: String
    /// The local libvirt daemon.
    public var libvirtURI: String
    /// The URI other hosts' libvirtd use to reach this host for live migration.
    public var migrationURI: String?
    /// The directory every host mounts at the same path (domain XML, disks, save images).
    public var sharedStorage: String
    public var store: StoreSettings
    public var membership: MembershipSettings
    public var health: HealthSettings
    public var migration: MigrationSettings
    public var api: APISettings
    public var capacity: CapacitySettings
    public var coordinator: CoordinatorSettings
    public var fencing: FencingSettings
    public var watchdog: WatchdogSettings
    public var peers: PeerSettings
    /// qemu.conf to check for `lock_manager = "lockd"` at start-up.
    public var qemuConfPath: String
    /// Log level: trace, debug, info, notice, warning, error, critical.
    public var logLevel: String

    enum CodingKeys: String, CodingKey {
        case node, cluster, store, membership, health, migration, api, capacity, coordinator, fencing, watchdog, peers
        case libvirtURI = "libvirt_uri", migrationURI = "migration_uri", sharedStorage = "shared_storage"
        case qemuConfPath = "qemu_conf", logLevel = "log_level"
    }

    public init(node: String = AgentConfiguration.defaultNodeName, cluster: String = "default", libvirtURI: String = "qemu:///system",
                migrationURI: String? = nil, sharedStorage: String, store: StoreSettings = .init(), membership: MembershipSettings = .init(),
                health: HealthSettings = .init(), migration: MigrationSettings = .init(), api: APISettings = .init(),
                capacity: CapacitySettings = .init(), coordinator: CoordinatorSettings = .init(), fencing: FencingSettings = .init(),
                watchdog: WatchdogSettings = .init(), peers: PeerSettings = .init(),
                qemuConfPath: String = "/etc/libvirt/qemu.conf", logLevel: String = "info") {
        self.node = node
        self.cluster = cluster
        self.libvirtURI = libvirtURI
        self.migrationURI = migrationURI
        self.sharedStorage = sharedStorage
        self.store = store
        self.membership = membership
        self.health = health
        self.migration = migration
        self.api = api
        self.capacity = capacity
        self.coordinator = coordinator
        self.fencing = fencing
        self.watchdog = watchdog
        self.peers = peers
        self.qemuConfPath = qemuConfPath
        self.logLevel = logLevel
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AgentConfiguration(sharedStorage: "")
        guard let shared = try c.decodeIfPresent(String.self, forKey: .sharedStorage), !shared.isEmpty else {
            throw ConfigurationFileError.missing("shared_storage")
        }
        self.init(node: try c.decodeIfPresent(String.self, forKey: .node) ?? d.node,
                  cluster: try c.decodeIfPresent(String.self, forKey: .cluster) ?? d.cluster,
                  libvirtURI: try c.decodeIfPresent(String.self, forKey: .libvirtURI) ?? d.libvirtURI,
                  migrationURI: try c.decodeIfPresent(String.self, forKey: .migrationURI),
                  sharedStorage: shared,
                  store: try c.decodeIfPresent(StoreSettings.self, forKey: .store) ?? d.store,
                  membership: try c.decodeIfPresent(MembershipSettings.self, forKey: .membership) ?? d.membership,
                  health: try c.decodeIfPresent(HealthSettings.self, forKey: .health) ?? d.health,
                  migration: try c.decodeIfPresent(MigrationSettings.self, forKey: .migration) ?? d.migration,
                  api: try c.decodeIfPresent(APISettings.self, forKey: .api) ?? d.api,
                  capacity: try c.decodeIfPresent(CapacitySettings.self, forKey: .capacity) ?? d.capacity,
                  coordinator: try c.decodeIfPresent(CoordinatorSettings.self, forKey: .coordinator) ?? d.coordinator,
                  fencing: try c.decodeIfPresent(FencingSettings.self, forKey: .fencing) ?? d.fencing,
                  watchdog: try c.decodeIfPresent(WatchdogSettings.self, forKey: .watchdog) ?? d.watchdog,
                  peers: try c.decodeIfPresent(PeerSettings.self, forKey: .peers) ?? d.peers,
                  qemuConfPath: try c.decodeIfPresent(String.self, forKey: .qemuConfPath) ?? d.qemuConfPath,
                  logLevel: try c.decodeIfPresent(String.self, forKey: .logLevel) ?? d.logLevel)
    }

    /// The host name, as the default node name.
    public static var defaultNodeName: String { ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost" }
}

/// Where cluster state lives: etcd when endpoints are given, else an embedded SQLite file.
public struct StoreSettings: Codable, Sendable, Equatable {
    /// etcd client URLs (http:// or https://); empty for the embedded single-host store.
    public var etcdEndpoints: [String] = []
    /// TLS for etcd: CA bundle, client certificate and key (PEM paths).
    public var etcdCA: String?
    public var etcdCert: String?
    public var etcdKey: String?
    /// Timeout of one attempt at one etcd member, seconds; a call then tries the next member (5 s in all).
    public var callTimeoutSeconds: Double = 2
    /// The embedded store's database file.
    public var embeddedPath: String = EmbeddedStore.defaultPath

    enum CodingKeys: String, CodingKey {
        case etcdEndpoints = "etcd_endpoints", etcdCA = "etcd_ca", etcdCert = "etcd_cert", etcdKey = "etcd_key"
        case callTimeoutSeconds = "call_timeout_seconds", embeddedPath = "embedded_path"
    }

    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        etcdEndpoints = try c.decodeIfPresent([String].self, forKey: .etcdEndpoints) ?? []
        etcdCA = try c.decodeIfPresent(String.self, forKey: .etcdCA)
        etcdCert = try c.decodeIfPresent(String.self, forKey: .etcdCert)
        etcdKey = try c.decodeIfPresent(String.self, forKey: .etcdKey)
        callTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .callTimeoutSeconds) ?? callTimeoutSeconds
        embeddedPath = try c.decodeIfPresent(String.self, forKey: .embeddedPath) ?? embeddedPath
    }
}

/// Node lease and self-fencing timing.
public struct MembershipSettings: Codable, Sendable, Equatable {
    /// The node lease's time to live, seconds. Host failure is detected this long after the last renewal.
    public var leaseTTLSeconds: Int = 5
    /// How often the lease is renewed, seconds.
    public var keepAliveIntervalSeconds: Double = 1
    /// How long before the lease could expire this node kills its HA domains when it cannot renew,
    /// on top of the kill's own time (`SelfFenceMargin`: measured, scaled to the guests run here).
    public var selfFenceMarginSeconds: Double = 1.5
    /// Extra wait after a node's lease expired before its groups start elsewhere. The node itself
    /// stopped them `selfFenceMarginSeconds` before the earliest expiry, so this only covers clock-rate
    /// drift and a slow stop: 1 s keeps recovery near 10 s even when the lost host was etcd's leader.
    public var fencingMarginSeconds: Double = 1
    /// The CPU priority (nice value, -20 to 19) vigild gives itself at start-up, so that busy guests
    /// or other load cannot starve its lease renewals and heartbeats into a false self-fence (corosync
    /// and sanlock run at real-time priority for the same reason). 0 leaves the priority as started.
    public var nice: Int = -10

    enum CodingKeys: String, CodingKey {
        case leaseTTLSeconds = "lease_ttl_seconds", keepAliveIntervalSeconds = "keepalive_interval_seconds"
        case selfFenceMarginSeconds = "self_fence_margin_seconds", fencingMarginSeconds = "fencing_margin_seconds"
        case nice
    }

    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        leaseTTLSeconds = try c.decodeIfPresent(Int.self, forKey: .leaseTTLSeconds) ?? leaseTTLSeconds
        keepAliveIntervalSeconds = try c.decodeIfPresent(Double.self, forKey: .keepAliveIntervalSeconds) ?? keepAliveIntervalSeconds
        selfFenceMarginSeconds = try c.decodeIfPresent(Double.self, forKey: .selfFenceMarginSeconds) ?? selfFenceMarginSeconds
        fencingMarginSeconds = try c.decodeIfPresent(Double.self, forKey: .fencingMarginSeconds) ?? fencingMarginSeconds
        nice = try c.decodeIfPresent(Int.self, forKey: .nice) ?? nice
    }
}

/// Health checks: libvirt events (looksAlive) plus a slow reconcile, and an optional in-guest probe (isAlive).
public struct HealthSettings: Codable, Sendable, Equatable {
    /// Seconds between full reconciles of domains against assignments (a safety net behind events).
    public var reconcileIntervalSeconds: Double = 10
    /// Probe guests that have a QEMU guest agent channel through their agent (`guest-get-time`). A
    /// guest's agent counts only once it has answered since the guest started (one that is not
    /// installed or not yet up is no failure); until then the probe command, if any, is used.
    public var guestAgent: Bool = true
    /// How long the guest agent may take to answer, seconds.
    public var guestAgentTimeoutSeconds: Int = 5
    /// A command run as `COMMAND DOMAIN-NAME`; exit status 0 means the guest is alive. Empty: none
    /// (guests without a guest agent then have events and reconcile only).
    public var probeCommand: [String] = []
    /// Seconds between probes of each running HA domain.
    public var probeIntervalSeconds: Double = 2
    /// Consecutive failed probes that make a resource failed.
    public var probeFailures: Int = 3
    /// Grace after a start before the probe command counts, seconds (the guest boots). A guest
    /// agent needs none: it counts from its first answer.
    public var probeStartGraceSeconds: Double = 20
    /// How long an orderly shutdown may take before the domain is destroyed, seconds.
    public var shutdownDeadlineSeconds: Double = 30
    /// A guest that QEMU paused on a disk I/O error has failed once paused this long, seconds
    /// (its group's paused-guest behaviour `auto-resume`; see `PausedGuestPolicy`).
    public var pausedGraceSeconds: Double = 30
    /// Seconds between checks of this host's libvirtd and shared storage.
    public var hostCheckIntervalSeconds: Double = Self.seconds(NodeSettings().hostCheckInterval)
    /// How long one libvirtd check may take before libvirtd counts as not answering (the host then
    /// takes no groups until it answers), seconds.
    public var libvirtCheckTimeoutSeconds: Double = Self.seconds(NodeSettings().hypervisorCheckTimeout)
    /// How long one shared-storage check may take before it counts as failed, seconds.
    public var storageCheckTimeoutSeconds: Double = Self.seconds(NodeSettings().storageCheckTimeout)
    /// Failed storage checks in a row after which this host's storage counts as lost.
    public var storageCheckFailures: Int = NodeSettings().storageFailures

    private static func seconds(_ span: TimeSpan) -> Double { Double(span.milliseconds) / 1000 }

    enum CodingKeys: String, CodingKey {
        case reconcileIntervalSeconds = "reconcile_interval_seconds", probeCommand = "probe_command"
        case guestAgent = "guest_agent", guestAgentTimeoutSeconds = "guest_agent_timeout_seconds"
        case probeIntervalSeconds = "probe_interval_seconds", probeFailures = "probe_failures"
        case probeStartGraceSeconds = "probe_start_grace_seconds", shutdownDeadlineSeconds = "shutdown_deadline_seconds"
        case pausedGraceSeconds = "paused_grace_seconds"
        case hostCheckIntervalSeconds = "host_check_interval_seconds", libvirtCheckTimeoutSeconds = "libvirt_check_timeout_seconds"
        case storageCheckTimeoutSeconds = "storage_check_timeout_seconds", storageCheckFailures = "storage_check_failures"
    }

    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        reconcileIntervalSeconds = try c.decodeIfPresent(Double.self, forKey: .reconcileIntervalSeconds) ?? reconcileIntervalSeconds
        guestAgent = try c.decodeIfPresent(Bool.self, forKey: .guestAgent) ?? guestAgent
        guestAgentTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .guestAgentTimeoutSeconds) ?? guestAgentTimeoutSeconds
        probeCommand = try c.decodeIfPresent([String].self, forKey: .probeCommand) ?? probeCommand
        probeIntervalSeconds = try c.decodeIfPresent(Double.self, forKey: .probeIntervalSeconds) ?? probeIntervalSeconds
        probeFailures = try c.decodeIfPresent(Int.self, forKey: .probeFailures) ?? probeFailures
        probeStartGraceSeconds = try c.decodeIfPresent(Double.self, forKey: .probeStartGraceSeconds) ?? probeStartGraceSeconds
        shutdownDeadlineSeconds = try c.decodeIfPresent(Double.self, forKey: .shutdownDeadlineSeconds) ?? shutdownDeadlineSeconds
        pausedGraceSeconds = try c.decodeIfPresent(Double.self, forKey: .pausedGraceSeconds) ?? pausedGraceSeconds
        hostCheckIntervalSeconds = try c.decodeIfPresent(Double.self, forKey: .hostCheckIntervalSeconds) ?? hostCheckIntervalSeconds
        libvirtCheckTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .libvirtCheckTimeoutSeconds) ?? libvirtCheckTimeoutSeconds
        storageCheckTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .storageCheckTimeoutSeconds) ?? storageCheckTimeoutSeconds
        storageCheckFailures = try c.decodeIfPresent(Int.self, forKey: .storageCheckFailures) ?? storageCheckFailures
    }
}

/// Live migration settings, with the supervisor's limits (a group's policy may override them).
public struct MigrationSettings: Codable, Sendable, Equatable {
    /// Pass libvirt's unsafe flag: needed where libvirt cannot tell the storage is shared (the lab).
    public var allowUnsafe: Bool = false
    /// Bandwidth cap, MiB/s; absent for none.
    public var bandwidthMiBps: UInt64?
    /// Longest switch-over pause, milliseconds.
    public var maxDowntimeMilliseconds: UInt64 = 300
    /// When a live migration's copy counts as stuck, and which rungs of the ladder it may climb:
    /// `completion_seconds_per_gib`, `no_progress_seconds`, `auto_converge`, `post_copy` (off: a
    /// network failure during post-copy loses the guest).
    public var limits = MigrationLimits()
    /// How often a running migration's progress is sampled and published, milliseconds.
    public var sampleIntervalMilliseconds: Int64 = 500

    enum CodingKeys: String, CodingKey {
        case allowUnsafe = "allow_unsafe", bandwidthMiBps = "bandwidth_mibps", maxDowntimeMilliseconds = "max_downtime_ms"
        case completionSecondsPerGiB = "completion_seconds_per_gib", noProgressSeconds = "no_progress_seconds"
        case autoConverge = "auto_converge", postCopy = "post_copy", sampleIntervalMilliseconds = "sample_interval_ms"
    }

    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        allowUnsafe = try c.decodeIfPresent(Bool.self, forKey: .allowUnsafe) ?? allowUnsafe
        bandwidthMiBps = try c.decodeIfPresent(UInt64.self, forKey: .bandwidthMiBps)
        maxDowntimeMilliseconds = try c.decodeIfPresent(UInt64.self, forKey: .maxDowntimeMilliseconds) ?? maxDowntimeMilliseconds
        if let seconds = try c.decodeIfPresent(Double.self, forKey: .completionSecondsPerGiB) {
            limits.completionPerGiB = try Self.span(seconds, .completionSecondsPerGiB)
        }
        if let seconds = try c.decodeIfPresent(Double.self, forKey: .noProgressSeconds) {
            limits.noProgress = try Self.span(seconds, .noProgressSeconds)
        }
        limits.autoConverge = try c.decodeIfPresent(Bool.self, forKey: .autoConverge) ?? limits.autoConverge
        limits.postCopy = try c.decodeIfPresent(Bool.self, forKey: .postCopy) ?? limits.postCopy
        sampleIntervalMilliseconds = try c.decodeIfPresent(Int64.self, forKey: .sampleIntervalMilliseconds) ?? sampleIntervalMilliseconds
        guard (50...1000).contains(sampleIntervalMilliseconds) else {
            throw DecodingError.dataCorruptedError(forKey: .sampleIntervalMilliseconds, in: c,
                                                   debugDescription: "sample_interval_ms must be 50 to 1000 (progress is sampled at least every second)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(allowUnsafe, forKey: .allowUnsafe)
        try c.encodeIfPresent(bandwidthMiBps, forKey: .bandwidthMiBps)
        try c.encode(maxDowntimeMilliseconds, forKey: .maxDowntimeMilliseconds)
        try c.encode(Double(limits.completionPerGiB.milliseconds) / 1000, forKey: .completionSecondsPerGiB)
        try c.encode(Double(limits.noProgress.milliseconds) / 1000, forKey: .noProgressSeconds)
        try c.encode(limits.autoConverge, forKey: .autoConverge)
        try c.encode(limits.postCopy, forKey: .postCopy)
        try c.encode(sampleIntervalMilliseconds, forKey: .sampleIntervalMilliseconds)
    }

    private static func span(_ seconds: Double, _ key: CodingKeys) throws -> TimeSpan {
        guard seconds > 0, seconds < 86_400 else {
            throw DecodingError.dataCorrupted(.init(codingPath: [key], debugDescription: "\(key.rawValue) must be more than 0 and less than a day (seconds)"))
        }
        return TimeSpan(milliseconds: Int64(seconds * 1000))
    }
}

/// Where the agent answers the CLI and Prometheus.
public struct APISettings: Codable, Sendable, Equatable {
    /// The unix socket the CLI uses (root only: mode 0600).
    public var socket: String = "/run/vigil/vigild.sock"
    /// Address:port for Prometheus metrics (`/metrics`); empty to disable. Off loopback, scrapers
    /// must send the cluster secret.
    public var metricsListen: String = "127.0.0.1:9477"
    /// Address:port where other hosts and remote CLIs reach the API; empty to disable. Needs `tls`
    /// (or `insecureTCP`), and `secret_file` unless `tls.client_ca` verifies callers.
    public var tcpListen: String = ""
    /// A file holding the cluster secret that TCP callers must present (`Authorization: Bearer <secret>`).
    public var secretFile: String?
    /// TLS for the TCP API.
    public var tls: APITLSSettings?
    /// Serves the TCP API in clear text without TLS: only when asked for by name.
    public var insecureTCP: Bool = false

    enum CodingKeys: String, CodingKey {
        case socket, metricsListen = "metrics_listen", tcpListen = "tcp_listen", secretFile = "secret_file", tls, insecureTCP = "insecure_tcp"
    }

    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        socket = try c.decodeIfPresent(String.self, forKey: .socket) ?? socket
        metricsListen = try c.decodeIfPresent(String.self, forKey: .metricsListen) ?? metricsListen
        tcpListen = try c.decodeIfPresent(String.self, forKey: .tcpListen) ?? tcpListen
        secretFile = try c.decodeIfPresent(String.self, forKey: .secretFile)
        tls = try c.decodeIfPresent(APITLSSettings.self, forKey: .tls)
        insecureTCP = try c.decodeIfPresent(Bool.self, forKey: .insecureTCP) ?? insecureTCP
    }
}

/// The TCP API's TLS: this host's certificate and key (PEM), and optionally the CA whose client
/// certificates callers must present (then the bearer secret is not needed).
public struct APITLSSettings: Codable, Sendable, Equatable {
    public var certificate: String
    public var key: String
    public var clientCA: String?

    enum CodingKeys: String, CodingKey { case certificate, key, clientCA = "client_ca" }

    public init(certificate: String, key: String, clientCA: String? = nil) {
        self.certificate = certificate
        self.key = key
        self.clientCA = clientCA
    }
}

/// What this host offers HA guests; by default what libvirt reports, minus a reserve.
public struct CapacitySettings: Codable, Sendable, Equatable {
    /// Memory for guests, MiB; absent: the host's memory.
    public var memoryMiB: Int?
    /// vCPUs for guests; absent: the host's CPUs times `vcpuOvercommit`.
    public var vcpus: Int?
    /// Guest vCPUs per host CPU when `vcpus` is absent.
    public var vcpuOvercommit: Int = 4
    /// Memory kept back for the host, MiB.
    public var reservedMemoryMiB: Int = 1024

    enum CodingKeys: String, CodingKey {
        case memoryMiB = "memory_mib", vcpus, vcpuOvercommit = "vcpu_overcommit", reservedMemoryMiB = "reserved_memory_mib"
    }

    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        memoryMiB = try c.decodeIfPresent(Int.self, forKey: .memoryMiB)
        vcpus = try c.decodeIfPresent(Int.self, forKey: .vcpus)
        vcpuOvercommit = try c.decodeIfPresent(Int.self, forKey: .vcpuOvercommit) ?? vcpuOvercommit
        reservedMemoryMiB = try c.decodeIfPresent(Int.self, forKey: .reservedMemoryMiB) ?? reservedMemoryMiB
    }
}

/// A configuration file that cannot be used, with the setting or line at fault.
public enum ConfigurationFileError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(String)
    case invalid(setting: String, problem: String)
    case unreadable(path: String, problem: String)

    public var description: String {
        switch self {
        case .missing(let key): "required setting \(key) is missing"
        case let .invalid(setting, problem): "setting \(setting): \(problem)"
        case let .unreadable(path, problem): "cannot use configuration file \(path): \(problem)"
        }
    }
}
