internal import CLibvirt

/// A domain's run state (`virDomainState`).
public enum DomainState: Int32, Sendable, CustomStringConvertible {
    case noState = 0, running, blocked, paused, shutdown, shutOff, crashed, pmSuspended

    public var description: String {
        switch self {
        case .noState: "no state"
        case .running: "running"
        case .blocked: "blocked"
        case .paused: "paused"
        case .shutdown: "shutting down"
        case .shutOff: "shut off"
        case .crashed: "crashed"
        case .pmSuspended: "pm-suspended"
        }
    }

    /// Whether QEMU runs for this domain (running, blocked, paused, shutting down or pm-suspended).
    public var isActive: Bool { self != .shutOff && self != .crashed && self != .noState }
}

/// Why a domain is shut off (`virDomainShutoffReason`); the reason Vigil's health checks act on.
public enum ShutOffReason: Int32, Sendable {
    case unknown = 0, shutdown, destroyed, crashed, migrated, saved, failed, fromSnapshot, daemon
}

/// A domain's state together with libvirt's reason code for it.
public struct DomainStateWithReason: Sendable, Equatable {
    public let state: DomainState
    /// The raw reason; its meaning depends on `state` (e.g. `virDomainShutoffReason` when shut off).
    public let reason: Int32

    /// The reason interpreted for a shut-off domain, nil in other states.
    public var shutOffReason: ShutOffReason? {
        state == .shutOff ? ShutOffReason(rawValue: reason) ?? .unknown : nil
    }

    /// Whether QEMU paused it because a disk returned an I/O error (`VIR_DOMAIN_PAUSED_IOERROR`).
    public var pausedByIOError: Bool { state == .paused && reason == Int32(VIR_DOMAIN_PAUSED_IOERROR.rawValue) }

    /// Whether it is paused for a migration (`VIR_DOMAIN_PAUSED_MIGRATION`): on the target, the
    /// incoming domain until the migration ends; on the source, its last moments before switch-over.
    public var pausedByMigration: Bool { state == .paused && reason == Int32(VIR_DOMAIN_PAUSED_MIGRATION.rawValue) }
}

/// Resource usage of a domain (`virDomainInfo`).
public struct DomainInfo: Sendable, Equatable {
    public let state: DomainState
    /// Maximum memory in KiB.
    public let maxMemoryKiB: UInt64
    /// Current memory in KiB.
    public let memoryKiB: UInt64
    public let vcpus: Int
    /// CPU time used, in nanoseconds.
    public let cpuTimeNanoseconds: UInt64

    init(_ info: virDomainInfo) {
        state = DomainState(rawValue: Int32(info.state)) ?? .noState
        maxMemoryKiB = UInt64(info.maxMem)
        memoryKiB = UInt64(info.memory)
        vcpus = Int(info.nrVirtCpu)
        cpuTimeNanoseconds = UInt64(info.cpuTime)
    }
}
