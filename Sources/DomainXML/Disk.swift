/// One `<disk>` of a domain: where its data lives and how the guest sees it.
public struct Disk: Sendable, Codable, Hashable {
    public var type: DiskType
    public var device: DiskDevice
    /// Nil for an empty drive (e.g. a CD-ROM without media).
    public var source: DiskSource?
    public var target: DiskTarget
    public var driver: DiskDriver?
    public var readOnly: Bool
    public var shareable: Bool
    /// What the XML says about the image beneath `source`.
    public var backing: Backing

    public init(type: DiskType, device: DiskDevice = .disk, source: DiskSource?, target: DiskTarget,
                driver: DiskDriver? = nil, readOnly: Bool = false, shareable: Bool = false,
                backing: Backing = .unspecified) {
        self.type = type
        self.device = device
        self.source = source
        self.target = target
        self.driver = driver
        self.readOnly = readOnly
        self.shareable = shareable
        self.backing = backing
    }

    /// The backing images from the XML, top (nearest to this disk) first.
    public var backingChain: [BackingImage] { backing.images }
}

/// The `type` attribute of `<disk>` and `<backingStore>`: how the source is reached (all of libvirt's).
public enum DiskType: String, Sendable, Codable, Hashable, CaseIterable {
    case file, block, dir, network, volume, nvme
    /// A disk served over a vhost-user socket by another process on the host (e.g. qemu-storage-daemon, SPDK).
    case vhostuser
    /// A vDPA block device of the host (`/dev/vhost-vdpa-N`).
    case vhostvdpa
}

/// The `device` attribute of `<disk>`: what the guest sees.
public enum DiskDevice: String, Sendable, Codable, Hashable, CaseIterable {
    case disk, cdrom, floppy, lun
}

/// The `<source>` of a disk or backing store, by disk type.
public enum DiskSource: Sendable, Codable, Hashable {
    /// `<source file=...>` for type file.
    case file(path: String)
    /// `<source dev=...>` for type block.
    case block(path: String)
    /// `<source protocol=... name=...><host .../></source>` for type network.
    case network(NetworkDiskSource)
    /// `<source pool=... volume=...>` for type volume.
    case volume(pool: String, volume: String)
    /// `<source dir=...>` for type dir: a host directory the guest sees as a FAT disk.
    case directory(path: String)
    /// `<source type='pci' namespace=...><address .../></source>` for type nvme: a host NVMe controller.
    case nvme(NVMeDiskSource)
    /// `<source type='unix' path=...>` for type vhostuser: the socket of the process serving the disk.
    case vhostUser(socket: String)
    /// `<source dev=...>` for type vhostvdpa: the host's vDPA character device.
    case vhostVDPA(device: String)

    /// The local path of the image for file and block sources (nil for every other kind).
    public var path: String? {
        switch self {
        case let .file(path), let .block(path): return path
        case .network, .volume, .directory, .nvme, .vhostUser, .vhostVDPA: return nil
        }
    }
}

/// An NVMe disk's host controller (PCI address) and namespace.
public struct NVMeDiskSource: Sendable, Codable, Hashable {
    /// The controller's PCI address as the host names it, e.g. "0000:01:00.0".
    public var pciAddress: String
    /// The namespace on the controller; libvirt's default is 1.
    public var namespace: Int?

    public init(pciAddress: String, namespace: Int?) {
        self.pciAddress = pciAddress
        self.namespace = namespace
    }
}

/// A network disk's protocol, image name and hosts (e.g. rbd, iscsi, nbd).
public struct NetworkDiskSource: Sendable, Codable, Hashable {
    public var `protocol`: String
    /// The `name` attribute, e.g. "pool/image" for rbd or "iqn.../1" for iscsi; nil when absent (nbd).
    public var name: String?
    public var hosts: [NetworkHost]

    public init(protocol: String, name: String?, hosts: [NetworkHost]) {
        self.protocol = `protocol`
        self.name = name
        self.hosts = hosts
    }
}

/// One `<host>` of a network disk source.
public struct NetworkHost: Sendable, Codable, Hashable {
    public var name: String?
    public var port: Int?
    /// "tcp" (default), "unix" or "rdma".
    public var transport: String?
    /// The socket path for transport unix.
    public var socket: String?

    public init(name: String?, port: Int? = nil, transport: String? = nil, socket: String? = nil) {
        self.name = name
        self.port = port
        self.transport = transport
        self.socket = socket
    }
}

/// A disk's `<target dev=... bus=...>`: its name and bus inside the guest.
public struct DiskTarget: Sendable, Codable, Hashable {
    public var dev: String
    public var bus: String?

    public init(dev: String, bus: String? = nil) {
        self.dev = dev
        self.bus = bus
    }
}

/// A disk's `<driver>`: the backend name, image format and cache mode.
public struct DiskDriver: Sendable, Codable, Hashable {
    public var name: String?
    /// The image format ("qcow2", "raw", ...), from the `type` attribute.
    public var format: String?
    public var cache: String?

    public init(name: String? = nil, format: String? = nil, cache: String? = nil) {
        self.name = name
        self.format = format
        self.cache = cache
    }
}
