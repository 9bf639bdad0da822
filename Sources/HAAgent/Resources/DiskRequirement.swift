import DomainXML

/// What one disk needs so that its VM can run on any possible owner, decided from the XML alone (no IO):
/// the HA wizard's per-disk verdict, which `VMConfigurationResource` then checks on this host.
enum DiskRequirement: Equatable {
    /// An empty removable drive (a CD-ROM or floppy without media): nothing to reach.
    case nothing
    /// A file (image) or directory every host must see at the same path on shared storage.
    case sharedPath(String)
    /// A block device every host must resolve to the same device.
    case sharedBlockDevice(String)
    /// Reached over the network or through a storage pool by every host alike: nothing local to check.
    case service
    /// A non-removable disk without a source: it cannot start anywhere.
    case missingSource
    /// Storage only this host has: the VM cannot be highly available while the disk is there.
    case hostLocal(HostLocalStorage)

    /// The requirement of `disk`.
    init(_ disk: Disk) {
        guard let source = disk.source else {
            self = disk.device == .cdrom || disk.device == .floppy ? .nothing : .missingSource
            return
        }
        switch source {
        case let .file(path), let .directory(path): self = .sharedPath(path)
        case let .block(path): self = .sharedBlockDevice(path)
        case .network, .volume: self = .service
        case let .nvme(nvme): self = .hostLocal(.nvme(nvme))
        case let .vhostUser(socket): self = .hostLocal(.vhostUser(socket: socket))
        case let .vhostVDPA(device): self = .hostLocal(.vhostVDPA(device: device))
        }
    }
}

/// A disk source that exists on one host only, phrased for an operator.
public enum HostLocalStorage: Sendable, Equatable, CustomStringConvertible {
    case nvme(NVMeDiskSource)
    case vhostUser(socket: String)
    case vhostVDPA(device: String)

    public var description: String {
        switch self {
        case let .nvme(nvme):
            "an NVMe disk of this host (controller \(nvme.pciAddress), namespace \(nvme.namespace ?? 1)), which no other host can reach"
        case let .vhostUser(socket):
            "a vhost-user disk served through socket \(socket) by a process on this host, which no other host can reach"
        case let .vhostVDPA(device):
            "a vDPA device of this host (\(device)), which no other host can reach"
        }
    }
}
