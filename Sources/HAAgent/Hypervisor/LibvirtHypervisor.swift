import DomainXML
import HACore
import Libvirt

/// The real hypervisor: libvirt on this host through Vigil's `Libvirt` wrapper.
/// Domain events come over a `LibvirtLink`, kept up across libvirtd restarts and hangs, from
/// `events()` on; every call runs on a connection of its own from a `ConnectionPool` (libvirt's
/// client crashes when calls share a connection across a hang, see there).
public struct LibvirtHypervisor: Hypervisor {
    private let link: LibvirtLink
    private let pool: ConnectionPool

    public init(connection: Connection) {
        self.link = LibvirtLink(connection)
        self.pool = ConnectionPool(uri: connection.uri)
    }

    /// Opens `uri` (e.g. `qemu:///system`).
    public init(uri: String) throws {
        let connection = try Connection(uri: uri)
        self.link = LibvirtLink(connection)
        self.pool = ConnectionPool(uri: uri)
    }

    /// Runs `body` with a connection to this host's libvirtd that no other call uses meanwhile.
    public func withConnection<T>(_ body: (Connection) throws -> T) throws -> T { try pool.withConnection(body) }

    public func capabilities() throws -> String { try withConnection { try $0.capabilities() } }

    public func domains() throws -> [HostedDomain] {
        try withConnection { connection in
            try connection.listDomains().map { domain in
                let state = try domain.state()
                let job = state.state.isActive ? try? domain.migrationJob() : nil
                return HostedDomain(name: domain.name, uuid: domain.uuid, state: state.state, pausedByIOError: state.pausedByIOError,
                                    migrating: state.pausedByMigration || job != nil, migratingOut: job == .outgoing)
            }
        }
    }

    public func state(of name: String) throws -> DomainState? {
        try withConnection { try $0.domainIfExists(name: name)?.state().state }
    }

    public func isPausedByMigration(_ name: String) throws -> Bool {
        try withConnection { try $0.domainIfExists(name: name)?.state().pausedByMigration ?? false }
    }

    public func define(xml: String) throws -> String { try withConnection { try Self.define(xml: xml, on: $0) } }

    private static func define(xml: String, on connection: Connection) throws -> String {
        let domain = try connection.define(xml: xml)
        // Vigil starts HA domains itself; libvirtd must never start one on its own after a reboot.
        try domain.setAutostart(false)
        return domain.name
    }

    public func start(_ name: String) throws {
        try withConnection { try $0.lookup(name: name).create() }
    }

    public func stop(_ name: String, deadline: Duration) throws -> ShutdownOutcome {
        try withConnection { connection in
            guard let domain = try connection.domainIfExists(name: name) else { return .alreadyOff }
            return try domain.shutdown(deadline: deadline)
        }
    }

    public func resume(_ name: String) throws {
        try withConnection { try $0.domainIfExists(name: name)?.resume() }
    }

    public func destroy(_ name: String) throws {
        try withConnection { connection in
            guard let domain = try connection.domainIfExists(name: name), try domain.isActive() else { return }
            try domain.destroy()
        }
    }

    /// SIGKILL of the domain's QEMU (found through libvirt's pid file and checked against its command
    /// line), then libvirt's destroy to clean up. libvirt's destroy alone first sends SIGTERM and
    /// waits for QEMU to exit (1–2 s under load), far too long for a self-fence with many guests.
    public func powerOffNow(_ name: String) throws {
        if uriIsLocalSystem { _ = QemuProcess(domain: name)?.kill() }
        try destroy(name)
    }

    public var killsEmulators: Bool { uriIsLocalSystem }

    public func killEmulators(of names: some Collection<String>, timeout: Duration) async -> Int {
        guard uriIsLocalSystem else { return 0 }
        let killed = names.compactMap { QemuProcess(domain: $0) }.filter { $0.kill() }
        let deadline = ContinuousClock.now + timeout
        while killed.contains(where: \.isRunning), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(2))
        }
        return killed.filter { !$0.isRunning }.count
    }

    /// Whether this is the local system instance of the QEMU driver (whose pid files are in /run/libvirt/qemu).
    private var uriIsLocalSystem: Bool { pool.uri.hasPrefix("qemu:///system") }

    public func undefine(_ name: String) throws {
        try withConnection { try $0.domainIfExists(name: name)?.undefine([.managedSave, .snapshotsMetadata]) }
    }

    public func persistentXML(of name: String) throws -> String {
        try withConnection { try $0.lookup(name: name).xmlDescription([.inactive, .secure]) }
    }

    public func hasGuestAgentChannel(_ name: String) throws -> Bool {
        let xml = try withConnection { try $0.lookup(name: name).xmlDescription() }
        return try DomainDefinition(xml: xml).channels.contains { $0.targetName == Domain.guestAgentChannel }
    }

    public func pingGuestAgent(_ name: String, timeoutSeconds: Int32) throws {
        try withConnection { connection in
            let domain = try connection.lookup(name: name)
            // Without a response timeout libvirt waits forever for a hung agent, holding the domain's
            // agent job: every later agent call would then wait too. So no timeout, no probe. It is set
            // before every call: libvirt copies it into its agent connection when it opens one, and a
            // timeout set at that very moment is lost (the next probe's sets it again).
            try domain.setGuestAgentTimeout(seconds: timeoutSeconds)
            _ = try domain.guestTime()
        }
    }

    public func save(_ name: String, to path: String) throws {
        try withConnection { try $0.lookup(name: name).save(to: path) }
    }

    public func restore(from path: String, xml: String) throws {
        // The image carries the definition the domain ran with (same ABI); the shared XML then becomes
        // its persistent definition here, since a domain restored on a new host is transient.
        try withConnection { connection in
            _ = try connection.restore(from: path)
            _ = try Self.define(xml: xml, on: connection)
        }
    }

    public func liveMigrate(_ name: String, to destinationURI: String, options: LiveMigrationOptions) throws {
        var flags: MigrationFlags = [.live, .peerToPeer, .persistDestination, .undefineSource, .abortOnError]
        if options.allowUnsafe { flags.insert(.unsafe) }
        if options.autoConverge { flags.insert(.autoConverge) }
        if options.postCopy { flags.insert(.postCopy) }
        let parameters = MigrationParameters(bandwidthMiBps: options.bandwidthMiBps, maxDowntimeMilliseconds: options.maxDowntimeMilliseconds)
        try withConnection { try $0.lookup(name: name).migrate(toURI: destinationURI, flags: flags, parameters: parameters) }
    }

    public func migrationProgress(of name: String) throws -> MigrationProgress? {
        try withConnection { connection in
            guard let domain = try connection.domainIfExists(name: name), let job = try domain.migrationProgress() else { return nil }
            return MigrationProgress(elapsedMilliseconds: Int64(job.elapsedMilliseconds), dataTotal: job.dataTotal, dataProcessed: job.dataProcessed,
                                     dataRemaining: job.dataRemaining, dirtyRateBytesPerSecond: job.dirtyRateBytesPerSecond, iteration: job.iteration)
        }
    }

    public func abortMigration(_ name: String) throws {
        try withConnection { try $0.lookup(name: name).abortJob() }
    }

    public func startPostCopy(_ name: String) throws {
        try withConnection { try $0.lookup(name: name).startPostCopy() }
    }

    public func events() throws -> AsyncStream<DomainEvent> {
        try link.domainEvents()
    }

    public func linkChanges() -> AsyncStream<HypervisorLink> { link.linkChanges() }

    public func ping() throws { _ = try withConnection { try $0.daemonVersion() } }
}
