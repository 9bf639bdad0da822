import DomainXML

/// What a host has for a VM beyond its hypervisor's capabilities: networks, bridges, CPU models,
/// pass-through devices and stable block device names. Published in the host's profile so that the
/// HA wizard on any host can check that every possible owner has what a VM attaches to.
public struct HostInventory: Codable, Sendable, Equatable {
    /// libvirt virtual networks that are active on the host; nil when its libvirt does not say.
    public var networks: Set<String>?
    /// Linux bridges of the host (`/sys/class/net/*/bridge`), which `<interface type='bridge'>` names.
    public var bridges: Set<String>
    /// The hypervisor's domain capabilities per domain type ("kvm", "qemu"): the CPU models it runs.
    public var domainCapabilities: [String: DomainCapabilities]
    /// PCI functions by address ("0000:06:12.5").
    public var pciDevices: Set<String>
    /// USB devices by vendor and product ("1d6b:0002").
    public var usbDevices: Set<String>
    /// Block devices by their stable names (`/dev/disk/by-id/...`, `/dev/mapper/...`, ...).
    public var stableBlockDevices: Set<String>

    public init(networks: Set<String>? = nil, bridges: Set<String> = [], domainCapabilities: [String: DomainCapabilities] = [:],
                pciDevices: Set<String> = [], usbDevices: Set<String> = [], stableBlockDevices: Set<String> = []) {
        self.networks = networks
        self.bridges = bridges
        self.domainCapabilities = domainCapabilities
        self.pciDevices = pciDevices
        self.usbDevices = usbDevices
        self.stableBlockDevices = stableBlockDevices
    }
}
