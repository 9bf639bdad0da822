import DomainXML
import HACore

/// How another host reaches this one.
public struct AgentRecord: Codable, Sendable, Equatable {
    public var node: NodeID
    /// libvirt URI other hosts' libvirtd use for peer-to-peer live migration to this host.
    public var migrationURI: String
    /// What the host offers VMs (absent from agents that could not read it).
    public var profile: HostProfile?
    /// How long after this host's lease expired its armed watchdog has certainly reset it, seconds
    /// (its timeout, less what its pet window keeps before the expiry; see `WatchdogPetting`); nil
    /// when it has none. Lease expiry plus this long means the host was reset or self-fenced.
    /// Stored under the key older agents wrote their watchdog's timeout with: the same bound for them.
    public var watchdogResetSeconds: Double?
    /// `host:port` where this agent takes peer heartbeats; nil when it runs none (or an older agent
    /// wrote the record).
    public var heartbeatAddress: String?

    public init(node: NodeID, migrationURI: String, profile: HostProfile? = nil, watchdogResetSeconds: Double? = nil,
                heartbeatAddress: String? = nil) {
        self.node = node
        self.migrationURI = migrationURI
        self.profile = profile
        self.watchdogResetSeconds = watchdogResetSeconds
        self.heartbeatAddress = heartbeatAddress
    }

    enum CodingKeys: String, CodingKey {
        case node, migrationURI, profile, heartbeatAddress
        case watchdogResetSeconds = "watchdogTimeoutSeconds"
    }
}

/// What a host offers the VMs that may run on it, published in its agent record so that the HA
/// wizard on any host can check a VM against every possible owner before it becomes HA.
public struct HostProfile: Codable, Sendable, Equatable {
    /// Guest architectures, domain types and machine types this host's libvirt offers.
    public var capabilities: HostCapabilities
    /// The shared storage directory this host uses.
    public var sharedStorage: String
    /// A token the host wrote into shared storage at start-up (see HAAgent's `StorageMarker`): a host
    /// that reads the same token there sees the same storage, not a local directory of the same name.
    public var storageToken: String
    /// Networks, bridges, CPU models and devices the host has; nil from agents that publish none
    /// (older versions): the wizard then says it could not check them there.
    public var inventory: HostInventory?

    public init(capabilities: HostCapabilities, sharedStorage: String, storageToken: String, inventory: HostInventory? = nil) {
        self.capabilities = capabilities
        self.sharedStorage = sharedStorage
        self.storageToken = storageToken
        self.inventory = inventory
    }
}
