/// The health settings a node instance decides by (the agent's `health` section; reloadable).
public struct NodeSettings: Hashable, Sendable {
    /// Time between full reconciles of this host's domains against the cluster's view.
    public var reconcileInterval: TimeSpan = .seconds(10)
    /// Time between probe rounds of the HA guests running here.
    public var probeInterval: TimeSpan = .seconds(2)
    /// Consecutive failed probes that make a resource failed.
    public var probeFailures = 3
    /// After a start, the probe command does not count for this long (the guest boots).
    public var probeStartGrace: TimeSpan = .seconds(20)
    /// Whether guests with a guest agent channel are probed through their agent.
    public var guestAgent = true
    /// The probe command (run as `COMMAND DOMAIN-NAME`); empty for none.
    public var probeCommand: [String] = []
    /// A guest paused by a disk I/O error (and resumed in vain, under `PausedGuestPolicy.autoResume`)
    /// has failed once it has been paused this long.
    public var pausedGrace: TimeSpan = .seconds(30)
    /// How often such a guest is resumed while its grace lasts.
    public var pausedResumeInterval: TimeSpan = .seconds(5)
    /// After a start, definition changes are the start's own for this long: not written back.
    public var writeBackQuiet: TimeSpan = .seconds(2)

    /// Time between checks of this host's libvirtd and shared storage.
    public var hostCheckInterval: TimeSpan = .seconds(5)
    /// How long the libvirtd check may take before libvirtd counts as not answering (one such check
    /// is enough: the host takes no groups until libvirtd answers again).
    public var hypervisorCheckTimeout: TimeSpan = .seconds(10)
    /// How long the shared-storage check may take before it counts as failed.
    public var storageCheckTimeout: TimeSpan = .seconds(10)
    /// Failed storage checks in a row after which the storage counts as lost on this host: it takes
    /// no groups, and its watched groups fail over. With the defaults 10–25 s after storage stops
    /// working (a check every 5 s, each bounded by 10 s), as a storage path failover of a few seconds
    /// (multipath, an NFS server's restart) rides through.
    public var storageFailures = 3

    public init() {}
}
