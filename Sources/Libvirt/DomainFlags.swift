internal import CLibvirt

/// Flags for `Connection.listDomains` (`virConnectListAllDomainsFlags`); empty lists all.
public struct ListDomainsFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let active = Self(rawValue: VIR_CONNECT_LIST_DOMAINS_ACTIVE.rawValue)
    public static let inactive = Self(rawValue: VIR_CONNECT_LIST_DOMAINS_INACTIVE.rawValue)
    public static let persistent = Self(rawValue: VIR_CONNECT_LIST_DOMAINS_PERSISTENT.rawValue)
    public static let transient = Self(rawValue: VIR_CONNECT_LIST_DOMAINS_TRANSIENT.rawValue)
    public static let running = Self(rawValue: VIR_CONNECT_LIST_DOMAINS_RUNNING.rawValue)
    public static let paused = Self(rawValue: VIR_CONNECT_LIST_DOMAINS_PAUSED.rawValue)
    public static let shutOff = Self(rawValue: VIR_CONNECT_LIST_DOMAINS_SHUTOFF.rawValue)
    public static let managedSave = Self(rawValue: VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE.rawValue)
}

/// Flags for `Domain.undefine` (`virDomainUndefineFlagsValues`).
public struct UndefineFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Also remove a managed-save image.
    public static let managedSave = Self(rawValue: VIR_DOMAIN_UNDEFINE_MANAGED_SAVE.rawValue)
    /// Also remove snapshot metadata.
    public static let snapshotsMetadata = Self(rawValue: VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA.rawValue)
    /// Also remove the NVRAM file.
    public static let nvram = Self(rawValue: VIR_DOMAIN_UNDEFINE_NVRAM.rawValue)
    /// Keep the NVRAM file.
    public static let keepNvram = Self(rawValue: VIR_DOMAIN_UNDEFINE_KEEP_NVRAM.rawValue)
    /// Also remove checkpoint metadata.
    public static let checkpointsMetadata = Self(rawValue: VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA.rawValue)
}

/// Flags for `Domain.xmlDescription` (`virDomainXMLFlags`).
public struct XMLFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Include security-sensitive data (passwords).
    public static let secure = Self(rawValue: VIR_DOMAIN_XML_SECURE.rawValue)
    /// The persistent definition rather than the live one.
    public static let inactive = Self(rawValue: VIR_DOMAIN_XML_INACTIVE.rawValue)
    /// Update the guest CPU from the host.
    public static let updateCPU = Self(rawValue: VIR_DOMAIN_XML_UPDATE_CPU.rawValue)
    /// Suitable for migration to another host.
    public static let migratable = Self(rawValue: VIR_DOMAIN_XML_MIGRATABLE.rawValue)
}

/// Flags for save, managed save and restore (`virDomainSaveRestoreFlags`).
public struct SaveRestoreFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Bypass the host page cache when writing or reading the image.
    public static let bypassCache = Self(rawValue: VIR_DOMAIN_SAVE_BYPASS_CACHE.rawValue)
    /// Start running after restore, overriding what the image says.
    public static let running = Self(rawValue: VIR_DOMAIN_SAVE_RUNNING.rawValue)
    /// Stay paused after restore.
    public static let paused = Self(rawValue: VIR_DOMAIN_SAVE_PAUSED.rawValue)
}

/// Flags for `Domain.create` (`virDomainCreateFlags`).
public struct CreateFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Start paused.
    public static let paused = Self(rawValue: VIR_DOMAIN_START_PAUSED.rawValue)
    /// Destroy the domain if this connection closes.
    public static let autodestroy = Self(rawValue: VIR_DOMAIN_START_AUTODESTROY.rawValue)
    /// Ignore a managed-save image and boot afresh.
    public static let forceBoot = Self(rawValue: VIR_DOMAIN_START_FORCE_BOOT.rawValue)
}

/// Flags for `Connection.define` (`virDomainDefineFlags`).
public struct DefineFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Validate the XML against libvirt's schema first.
    public static let validate = Self(rawValue: VIR_DOMAIN_DEFINE_VALIDATE.rawValue)
}
