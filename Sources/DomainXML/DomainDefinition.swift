import Foundation

/// A snapshot of the fields Vigil reads from a libvirt domain definition.
public struct DomainDefinition: Sendable, Codable, Hashable {
    /// The `type` attribute of `<domain>`: "kvm", "qemu" (TCG), or another libvirt driver's name.
    public var domainType: String
    public var name: String
    /// Nil when the XML has no `<uuid>` (libvirt then generates one on define).
    public var uuid: UUID?
    /// The guest's memory in KiB, converted from its unit as libvirt does: the sum of the NUMA cells
    /// when the domain has any (libvirt then ignores `<memory>`), otherwise `<memory>`.
    public var memoryKiB: UInt64
    /// Current memory (`<currentMemory>`) in KiB, at most `memoryKiB`; equals `memoryKiB` when absent.
    public var currentMemoryKiB: UInt64
    /// Maximum virtual CPUs (`<vcpu>`); 1 when absent.
    public var vcpus: Int
    /// Virtual CPUs online at boot (`<vcpu current=...>`); equals `vcpus` when absent.
    public var currentVcpus: Int
    public var os: OperatingSystemBoot
    /// The `<devices><emulator>` path, if given.
    public var emulator: String?
    public var disks: [Disk]
    /// The `<filesystem>` devices: host directories or images the guest mounts.
    public var filesystems: [SharedFilesystem]
    public var interfaces: [NetworkInterface]
    /// The guest CPU asked for (`<cpu>` with a mode or model); nil: the hypervisor's default model.
    public var cpu: GuestCPU?
    /// Host devices passed through (`<hostdev mode='subsystem'>`).
    public var hostDevices: [HostDevice]
    public var serials: [CharacterDevice]
    public var consoles: [CharacterDevice]
    public var channels: [CharacterDevice]
    /// Vigil's own key/values from `<metadata><vigil:ha>`.
    public var vigilMetadata: [String: String]

    public init(
        domainType: String, name: String, uuid: UUID? = nil, memoryKiB: UInt64, currentMemoryKiB: UInt64? = nil,
        vcpus: Int = 1, currentVcpus: Int? = nil, os: OperatingSystemBoot = OperatingSystemBoot(),
        emulator: String? = nil, disks: [Disk] = [], filesystems: [SharedFilesystem] = [], interfaces: [NetworkInterface] = [],
        cpu: GuestCPU? = nil, hostDevices: [HostDevice] = [],
        serials: [CharacterDevice] = [], consoles: [CharacterDevice] = [], channels: [CharacterDevice] = [],
        vigilMetadata: [String: String] = [:]
    ) {
        self.domainType = domainType
        self.name = name
        self.uuid = uuid
        self.memoryKiB = memoryKiB
        self.currentMemoryKiB = currentMemoryKiB ?? memoryKiB
        self.vcpus = vcpus
        self.currentVcpus = currentVcpus ?? vcpus
        self.os = os
        self.emulator = emulator
        self.disks = disks
        self.filesystems = filesystems
        self.interfaces = interfaces
        self.cpu = cpu
        self.hostDevices = hostDevices
        self.serials = serials
        self.consoles = consoles
        self.channels = channels
        self.vigilMetadata = vigilMetadata
    }

    /// Parses and validates domain XML in one step.
    public init(xml: String) throws(DomainXMLError) {
        self = try DomainDocument(xml: xml).definition
    }
}
