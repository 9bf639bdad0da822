import HACore
import Libvirt

/// What the agent asks of its host's hypervisor: every libvirt call the resource layer makes goes
/// through this protocol, so a simulated host can stand in for the real one in tests of the shells.
/// Every call but `events()` may block (libvirt's calls do, for seconds when libvirtd is busy or
/// hung): callers make them on a thread of their own (`BlockingCall`), never on an actor or the
/// cooperative pool.
public protocol Hypervisor: Sendable {
    /// libvirt's capabilities XML of this host (guest architectures, domain and machine types).
    func capabilities() throws -> String
    /// libvirt's domain capabilities XML for guests of `virtType` ("kvm", "qemu"): the CPU models this host runs.
    func domainCapabilities(virtType: String) throws -> String
    /// The names of this host's active libvirt networks.
    func activeNetworks() throws -> [String]
    /// The domains this host knows, with their run state.
    func domains() throws -> [HostedDomain]
    /// The state of one domain, or nil when this host has no such domain.
    func state(of name: String) throws -> DomainState?
    /// Whether the domain is paused for a migration (the incoming side of one, on a target host).
    func isPausedByMigration(_ name: String) throws -> Bool
    /// Defines (or redefines) a domain from its XML and returns its name.
    func define(xml: String) throws -> String
    /// Starts a defined domain.
    func start(_ name: String) throws
    /// Stops a domain: ACPI shutdown for up to `deadline`, then destroy. Returns how it ended (blocks meanwhile).
    func stop(_ name: String, deadline: Duration) throws -> ShutdownOutcome
    /// Powers a domain off at once.
    func destroy(_ name: String) throws
    /// Lets a paused domain run again.
    func resume(_ name: String) throws
    /// Powers a domain off as fast as this host can (fencing): where possible its QEMU is killed
    /// outright, then libvirt cleans up.
    func powerOffNow(_ name: String) throws
    /// Kills the domains' emulator processes at once, directly, without asking libvirt (which may
    /// hang), and waits up to `timeout` until every one has exited; returns how many it killed and
    /// saw exit. Kills nothing where this host cannot (then only `powerOffNow` stops them).
    func killEmulators(of names: some Collection<String>, timeout: Duration) async -> Int
    /// Whether `killEmulators` reaches every running domain of this host (a domain it finds no
    /// emulator for is not running): then killing them all is the whole self-fence.
    var killsEmulators: Bool { get }
    /// Removes a stopped domain's definition from this host.
    func undefine(_ name: String) throws
    /// The persistent XML definition of a domain.
    func persistentXML(of name: String) throws -> String
    /// Saves a running domain's memory to `path` (it stops).
    func save(_ name: String, to path: String) throws
    /// Restores a saved domain from `path` and keeps it defined here with `xml` as its persistent definition.
    func restore(from path: String, xml: String) throws
    /// Live-migrates a running domain to the host whose libvirt URI is `destinationURI`; returns when
    /// the job ends (throws when it failed or was aborted).
    func liveMigrate(_ name: String, to destinationURI: String, options: LiveMigrationOptions) throws
    /// The progress of the domain's running migration job, or nil when none runs.
    func migrationProgress(of name: String) throws -> MigrationProgress?
    /// Aborts the domain's running migration job (the guest keeps running here).
    func abortMigration(_ name: String) throws
    /// Switches the domain's running migration (started with `postCopy`) to post-copy.
    func startPostCopy(_ name: String) throws
    /// Whether the running domain has a QEMU guest agent channel.
    func hasGuestAgentChannel(_ name: String) throws -> Bool
    /// Asks the domain's guest agent to answer (a round trip into the guest OS) within `timeoutSeconds`;
    /// throws when it is not connected or does not answer in time.
    func pingGuestAgent(_ name: String, timeoutSeconds: Int32) throws
    /// Lifecycle events of this host's domains, across reconnections where the hypervisor reconnects.
    func events() throws -> AsyncStream<DomainEvent>
    /// A cheap round trip to the hypervisor (libvirtd), to tell whether it answers.
    func ping() throws
    /// Losses and returns of the connection to the hypervisor (from `events()` on).
    func linkChanges() -> AsyncStream<HypervisorLink>
}

extension Hypervisor {
    /// Without migrations, never.
    public func isPausedByMigration(_ name: String) throws -> Bool { false }
    /// Without a faster way, a destroy.
    public func powerOffNow(_ name: String) throws { try destroy(name) }
    /// Without direct access to the emulators, nothing.
    public func killEmulators(of names: some Collection<String>, timeout: Duration) async -> Int { 0 }
    public var killsEmulators: Bool { false }
    /// Without a way to ask, unknown: the wizard says it could not check CPU models here.
    public func domainCapabilities(virtType: String) throws -> String { throw HypervisorQueryUnsupported(query: "domain capabilities") }
    /// Without a way to ask, unknown: the wizard says it could not check networks here.
    public func activeNetworks() throws -> [String] { throw HypervisorQueryUnsupported(query: "virtual networks") }
    /// Without a cheaper call, a listing.
    public func ping() throws { _ = try domains() }
    /// Without a connection that can be lost, none (the stream never yields nor ends).
    public func linkChanges() -> AsyncStream<HypervisorLink> { AsyncStream { _ in } }
}

/// A hypervisor that cannot answer a query (a simulated host, or a libvirt driver without it).
public struct HypervisorQueryUnsupported: Error, Sendable, CustomStringConvertible {
    public let query: String
    public var description: String { "this hypervisor does not report its \(query)" }
}

/// A domain on this host and its state.
public struct HostedDomain: Sendable, Equatable {
    public let name: String
    public let uuid: String
    public let state: DomainState
    /// QEMU holds it paused because a disk returned an I/O error.
    public let pausedByIOError: Bool
    /// In a live migration, in or out: paused for one (the incoming side, or the source at
    /// switch-over), or running with a migration job (the source while it copies memory).
    public let migrating: Bool
    /// A migration job sends it away from this host.
    public let migratingOut: Bool

    public init(name: String, uuid: String, state: DomainState, pausedByIOError: Bool = false, migrating: Bool = false,
                migratingOut: Bool = false) {
        self.name = name
        self.uuid = uuid
        self.state = state
        self.pausedByIOError = pausedByIOError
        self.migrating = migrating
        self.migratingOut = migratingOut
    }
}

/// How a live migration runs.
public struct LiveMigrationOptions: Sendable, Equatable {
    /// Pass libvirt's unsafe flag (storage libvirt cannot recognise as shared, e.g. the lab's directory).
    public var allowUnsafe: Bool
    /// Bandwidth cap in MiB/s, nil for unlimited.
    public var bandwidthMiBps: UInt64?
    /// Longest acceptable switch-over pause in milliseconds.
    public var maxDowntimeMilliseconds: UInt64?
    /// Throttle the guest if its memory changes faster than it can be copied.
    public var autoConverge: Bool
    /// Start the job able to switch to post-copy (`startPostCopy`).
    public var postCopy: Bool

    public init(allowUnsafe: Bool = false, bandwidthMiBps: UInt64? = nil, maxDowntimeMilliseconds: UInt64? = 300, autoConverge: Bool = true,
                postCopy: Bool = false) {
        self.allowUnsafe = allowUnsafe
        self.bandwidthMiBps = bandwidthMiBps
        self.maxDowntimeMilliseconds = maxDowntimeMilliseconds
        self.autoConverge = autoConverge
        self.postCopy = postCopy
    }
}
