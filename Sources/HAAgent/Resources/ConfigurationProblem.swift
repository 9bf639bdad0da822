/// One reason a VM's configuration cannot come online on this host, phrased for an operator.
public enum ConfigurationProblem: Sendable, Equatable, CustomStringConvertible {
    case outsideSharedStorage(path: String, role: String)
    /// Neither on shared storage nor on one of the storage volumes the VM may use.
    case outsideGroupStorage(path: String, role: String, shared: String, volumes: [String])
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case diskMissing(target: String, path: String)
    case backingFileMissing(target: String, path: String, reason: String)
    case unstableDevicePath(target: String, path: String)
    case notABlockDevice(target: String, path: String)
    case diskWithoutSource(target: String)
    /// A disk on storage only this host has (NVMe, vhost-user, vDPA): the VM cannot be highly available.
    case hostLocalDisk(domain: String, target: String, storage: HostLocalStorage)
    case nameMismatch(expected: String, found: String)
    case missingUUID(domain: String)

    public var description: String {
        switch self {
        case let .outsideSharedStorage(path, role): "\(role) \(path) is not on shared storage: another host could not reach it; "
            + "move it into the shared directory (or onto a storage volume named with --exclusive or --shared) and point the XML there"
        case let .outsideGroupStorage(path, role, shared, volumes):
            "\(role) \(path) lies neither on shared storage (\(shared)) nor on a storage volume of its group "
                + "(\(volumes.joined(separator: ", "))): another host could not reach it; move it to one of them, "
                + "or name the volume that holds it with --exclusive or --shared"
        case let .unreadable(path, reason): "cannot read \(path): \(reason)"
        case let .malformed(path, reason): "\(path): \(reason)"
        case let .diskMissing(target, path): "disk \(target): \(path) does not exist on this host; create it or correct the path in the XML"
        case let .backingFileMissing(target, path, reason): "disk \(target): backing chain of \(path) is broken: \(reason)"
        case let .unstableDevicePath(target, path): "disk \(target): \(path) may name another device after a reboot or on another host; use /dev/disk/by-id, by-path or by-uuid"
        case let .notABlockDevice(target, path): "disk \(target): \(path) is not a block device on this host; give the device's stable name (/dev/disk/by-id/...) or an image file on shared storage"
        case let .diskWithoutSource(target): "disk \(target) has no source"
        case let .hostLocalDisk(domain, target, storage):
            "VM \(domain) cannot be highly available: its disk \(target) is \(storage); move the disk's data to shared "
                + "storage (an image file on the shared directory, or a network disk such as rbd, iscsi or nbd) and point disk \(target) there"
        case let .nameMismatch(expected, found): "the XML defines domain \(found), but the resource is for \(expected)"
        case let .missingUUID(domain): "domain \(domain) has no <uuid>: every host must define it with the same identity (add one, e.g. from uuidgen)"
        }
    }
}

/// A VM configuration that cannot come online, with every problem found (not just the first).
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The domain XML file on shared storage.
    public let path: String
    public let problems: [ConfigurationProblem]

    public var description: String {
        "VM configuration \(path) cannot come online: " + problems.map(\.description).joined(separator: "; ")
    }
}
