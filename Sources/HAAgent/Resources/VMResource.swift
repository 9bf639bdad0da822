import Libvirt

/// The VM resource: the running domain. Online defines it on this host from the configuration read
/// off shared storage and starts it; offline stops it (shutdown within a deadline, then destroy) and
/// undefines it, so that the domain exists only on its owner.
public struct VMResource: Sendable {
    /// How bringing a VM online ended.
    public enum OnlineOutcome: Sendable, Equatable {
        /// It was already running here (for example after the agent restarted): adopted as is.
        case adopted
        /// It was defined from the shared XML and started.
        case started
    }

    public let domainName: String
    public let hypervisor: any Hypervisor

    public init(domainName: String, hypervisor: any Hypervisor) {
        self.domainName = domainName
        self.hypervisor = hypervisor
    }

    /// Defines the domain from `configuration` and starts it, or adopts it if it already runs here.
    public func online(_ configuration: VMConfiguration) throws -> OnlineOutcome {
        if let state = try hypervisor.state(of: domainName), state.isActive {
            if state == .paused {
                if try hypervisor.isPausedByMigration(domainName) { throw VMResourceError.migratingIn(domainName) }
                throw VMResourceError.pausedOnOwner(domainName)
            }
            return .adopted
        }
        _ = try hypervisor.define(xml: configuration.xml)
        try hypervisor.start(domainName)
        return .started
    }

    /// Stops the domain (ACPI shutdown up to `deadline`, then destroy) and undefines it here (blocks meanwhile).
    public func offline(deadline: Duration) throws -> ShutdownOutcome {
        let outcome = try hypervisor.stop(domainName, deadline: deadline)
        try hypervisor.undefine(domainName)
        return outcome
    }

    /// Powers the domain off at once and undefines it: fencing, where no shutdown can be waited for.
    public func forceOffline() throws {
        try hypervisor.destroy(domainName)
        try hypervisor.undefine(domainName)
    }

    /// Whether the domain runs on this host.
    public func isRunning() throws -> Bool {
        try hypervisor.state(of: domainName)?.isActive ?? false
    }
}

/// Why a VM resource could not change state.
public enum VMResourceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The domain is paused on this host (an operator or a failed migration paused it); Vigil does
    /// not guess whether it is safe to resume.
    case pausedOnOwner(String)
    /// The domain is the incoming side of a live migration still in flight to this host: its source
    /// drives it (even when the source's agent is unreachable), and it ends there or here.
    case migratingIn(String)

    public var description: String {
        switch self {
        case .pausedOnOwner(let name): "domain \(name) is paused on this host; resume or stop it first"
        case .migratingIn(let name): "domain \(name) is migrating in to this host: its source still drives the migration"
        }
    }
}
