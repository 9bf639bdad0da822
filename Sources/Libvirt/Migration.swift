internal import CLibvirt

/// Flags for live migration (`virDomainMigrateFlags`).
public struct MigrationFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Keep the guest running while its memory is copied.
    public static let live = Self(rawValue: VIR_MIGRATE_LIVE.rawValue)
    /// The source libvirtd talks to the destination itself (no client connection to the destination).
    public static let peerToPeer = Self(rawValue: VIR_MIGRATE_PEER2PEER.rawValue)
    /// Tunnel migration data through libvirtd's connection (needs peerToPeer).
    public static let tunnelled = Self(rawValue: VIR_MIGRATE_TUNNELLED.rawValue)
    /// Define the domain persistently on the destination.
    public static let persistDestination = Self(rawValue: VIR_MIGRATE_PERSIST_DEST.rawValue)
    /// Remove the source's persistent definition on success.
    public static let undefineSource = Self(rawValue: VIR_MIGRATE_UNDEFINE_SOURCE.rawValue)
    /// Leave the domain paused on the destination.
    public static let paused = Self(rawValue: VIR_MIGRATE_PAUSED.rawValue)
    /// Force migration even when libvirt cannot prove storage is shared (lab directories).
    public static let unsafe = Self(rawValue: VIR_MIGRATE_UNSAFE.rawValue)
    /// Migrate an inactive domain's definition only.
    public static let offline = Self(rawValue: VIR_MIGRATE_OFFLINE.rawValue)
    /// Compress migration data.
    public static let compressed = Self(rawValue: VIR_MIGRATE_COMPRESSED.rawValue)
    /// Cancel on a soft error (e.g. an I/O error) during migration.
    public static let abortOnError = Self(rawValue: VIR_MIGRATE_ABORT_ON_ERROR.rawValue)
    /// Throttle the guest's vCPUs when memory is dirtied faster than it can be sent.
    public static let autoConverge = Self(rawValue: VIR_MIGRATE_AUTO_CONVERGE.rawValue)
    /// Refuse domain changes that would break migration while it runs.
    public static let changeProtection = Self(rawValue: VIR_MIGRATE_CHANGE_PROTECTION.rawValue)
    /// Encrypt migration data with TLS.
    public static let tls = Self(rawValue: VIR_MIGRATE_TLS.rawValue)
    /// Allow switching the running job to post-copy (`Domain.startPostCopy`); it starts as pre-copy.
    public static let postCopy = Self(rawValue: VIR_MIGRATE_POSTCOPY.rawValue)
}

/// Optional migration parameters (`VIR_MIGRATE_PARAM_*`); nil fields are left to libvirt.
public struct MigrationParameters: Sendable {
    /// Address QEMU on the destination listens on for migration data, e.g. `tcp://10.0.0.2`.
    public var migrationURI: String?
    /// A new name for the domain on the destination.
    public var destinationName: String?
    /// The domain XML to use on the destination (same ABI).
    public var destinationXML: String?
    /// The persistent definition to store on the destination (with `persistDestination`).
    public var persistentXML: String?
    /// Bandwidth limit in MiB/s.
    public var bandwidthMiBps: UInt64?
    /// Longest acceptable pause for the final switch-over, in milliseconds (set before migrating).
    public var maxDowntimeMilliseconds: UInt64?

    public init(migrationURI: String? = nil, destinationName: String? = nil, destinationXML: String? = nil,
                persistentXML: String? = nil, bandwidthMiBps: UInt64? = nil, maxDowntimeMilliseconds: UInt64? = nil) {
        self.migrationURI = migrationURI
        self.destinationName = destinationName
        self.destinationXML = destinationXML
        self.persistentXML = persistentXML
        self.bandwidthMiBps = bandwidthMiBps
        self.maxDowntimeMilliseconds = maxDowntimeMilliseconds
    }
}

extension Domain {
    /// Client-managed migration: this process drives both the source (`self`) and `destination`.
    /// Returns the domain on the destination.
    public func migrate(to destination: Connection, flags: MigrationFlags, parameters: MigrationParameters = .init()) throws(LibvirtError) -> Domain {
        try applyMaxDowntime(parameters)
        let params = try TypedParameters(parameters)
        let call = "Domain.migrate(to: \(destination.uri))"
        let result = try destination.withHandle(call) { destinationHandle throws(LibvirtError) in
            try perform(call) { virDomainMigrate3(handle, destinationHandle, params.pointer, UInt32(params.count), flags.rawValue) }
        }
        return Domain(handle: result, connection: destination)
    }

    /// Peer-to-peer migration: the source libvirtd connects to `destinationURI` itself.
    public func migrate(toURI destinationURI: String, flags: MigrationFlags, parameters: MigrationParameters = .init()) throws(LibvirtError) {
        try applyMaxDowntime(parameters)
        let params = try TypedParameters(parameters)
        try perform("Domain.migrate(toURI: \(destinationURI))") {
            virDomainMigrateToURI3(handle, destinationURI, params.pointer, UInt32(params.count), flags.union(.peerToPeer).rawValue)
        }
    }

    /// Sets the longest pause accepted for a migration's switch-over, in milliseconds.
    public func setMigrationMaxDowntime(milliseconds: UInt64) throws(LibvirtError) {
        try perform("Domain.setMigrationMaxDowntime") { virDomainMigrateSetMaxDowntime(handle, milliseconds, 0) }
    }

    /// Progress of the domain's current job (migration, save), or `.none` when idle.
    public func jobInfo() throws(LibvirtError) -> JobInfo {
        var info = virDomainJobInfo()
        try perform("Domain.jobInfo") { virDomainGetJobInfo(handle, &info) }
        return JobInfo(info)
    }

    /// Statistics of the current job, or with `completed` of the last finished one (e.g. the measured
    /// downtime of a migration), as libvirt's named typed parameters.
    public func jobStats(completed: Bool = false) throws(LibvirtError) -> [String: TypedValue] {
        var type: Int32 = 0
        var params: UnsafeMutablePointer<virTypedParameter>?
        var count: Int32 = 0
        let flags = completed ? VIR_DOMAIN_JOB_STATS_COMPLETED.rawValue : 0
        try perform("Domain.jobStats") { virDomainGetJobStats(handle, &type, &params, &count, flags) }
        defer { virTypedParamsFree(params, count) }
        return TypedParameters.decode(params, count: count)
    }

    /// The way a migration job of the domain runs on this host (its job's operation), or nil when none does.
    public func migrationJob() throws(LibvirtError) -> MigrationDirection? {
        switch try jobStats()["operation"]?.unsignedValue {
        case UInt64(VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN.rawValue)?: .incoming
        case UInt64(VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT.rawValue)?: .outgoing
        default: nil
        }
    }

    /// Cancels the domain's current job (e.g. a migration in progress).
    public func abortJob() throws(LibvirtError) {
        try perform("Domain.abortJob") { virDomainAbortJob(handle) }
    }

    /// Switches the running migration (started with `.postCopy`) to post-copy: the guest resumes on
    /// the destination and fetches the rest of its memory from here. It cannot be aborted afterwards.
    public func startPostCopy() throws(LibvirtError) {
        try perform("Domain.startPostCopy") { virDomainMigrateStartPostCopy(handle, 0) }
    }

    /// The current migration job's progress from its statistics, or nil when no job runs.
    public func migrationProgress() throws(LibvirtError) -> MigrationJobProgress? {
        let stats = try jobStats()
        return MigrationJobProgress(stats)
    }

    private func applyMaxDowntime(_ parameters: MigrationParameters) throws(LibvirtError) {
        if let downtime = parameters.maxDowntimeMilliseconds { try setMigrationMaxDowntime(milliseconds: downtime) }
    }
}

/// Which side of a migration a host is on.
public enum MigrationDirection: Sendable, Equatable {
    case incoming, outgoing
}

/// A domain job's progress (`virDomainJobInfo`).
public struct JobInfo: Sendable, Equatable {
    /// What kind of job (`virDomainJobType`).
    public enum Kind: Int32, Sendable { case none = 0, bounded, unbounded, completed, failed, cancelled }
    public let kind: Kind
    /// Time since the job started, in milliseconds.
    public let elapsedMilliseconds: UInt64
    /// Bytes to transfer in all, transferred so far, and still to go (memory plus disk).
    public let dataTotal: UInt64
    public let dataProcessed: UInt64
    public let dataRemaining: UInt64
    /// Guest memory bytes: total, transferred, still to go.
    public let memoryTotal: UInt64
    public let memoryProcessed: UInt64
    public let memoryRemaining: UInt64

    init(_ info: virDomainJobInfo) {
        kind = Kind(rawValue: info.type) ?? .none
        elapsedMilliseconds = UInt64(info.timeElapsed)
        dataTotal = UInt64(info.dataTotal)
        dataProcessed = UInt64(info.dataProcessed)
        dataRemaining = UInt64(info.dataRemaining)
        memoryTotal = UInt64(info.memTotal)
        memoryProcessed = UInt64(info.memProcessed)
        memoryRemaining = UInt64(info.memRemaining)
    }
}

/// A migration job's progress as libvirt's job statistics give it (`VIR_DOMAIN_JOB_*` fields).
public struct MigrationJobProgress: Sendable, Equatable {
    /// Time since the job started, in milliseconds.
    public let elapsedMilliseconds: UInt64
    /// Bytes to transfer in all, transferred so far, and still to go (memory plus disk).
    public let dataTotal: UInt64
    public let dataProcessed: UInt64
    public let dataRemaining: UInt64
    /// Bytes of guest memory dirtied per second (libvirt gives pages per second and the page size).
    public let dirtyRateBytesPerSecond: UInt64?
    /// The number of passes over guest memory so far.
    public let iteration: UInt64?

    /// The progress in `stats`, or nil when they describe no running job.
    public init?(_ stats: [String: TypedValue]) {
        guard let total = stats["data_total"]?.unsignedValue else { return nil }
        elapsedMilliseconds = stats["time_elapsed"]?.unsignedValue ?? 0
        dataTotal = total
        dataProcessed = stats["data_processed"]?.unsignedValue ?? 0
        dataRemaining = stats["data_remaining"]?.unsignedValue ?? 0
        if let pages = stats["memory_dirty_rate"]?.unsignedValue {
            dirtyRateBytesPerSecond = pages * (stats["memory_page_size"]?.unsignedValue ?? 4096)
        } else {
            dirtyRateBytesPerSecond = nil
        }
        iteration = stats["memory_iteration"]?.unsignedValue
    }
}
