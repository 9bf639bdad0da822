import HACore

/// A group as stored: what the coordinator needs, and how hosts bind its storage resources.
public struct GroupSpec: Codable, Sendable, Equatable {
    public var definition: GroupDefinition
    /// Device and mount point (exclusive) or path (shared) of each storage resource.
    public var storage: [String: StorageResource]

    public init(definition: GroupDefinition, storage: [String: StorageResource] = [:]) {
        self.definition = definition
        self.storage = storage
    }

    /// Storage bindings keyed by resource.
    public var storageBindings: StorageBindings {
        Dictionary(uniqueKeysWithValues: storage.map { (ResourceID($0.key), $0.value) })
    }

    /// The domain XML path of the configuration resource a VM resource depends on.
    public func configurationPath(of vm: ResourceID) -> String? {
        for dependency in definition.dependencies[vm, default: []].sorted() {
            if case .vmConfiguration(let path)? = definition.resources.first(where: { $0.id == dependency })?.kind { return path }
        }
        return nil
    }

    /// The domain names of the group's VMs.
    public var domainNames: [String] {
        definition.vms.compactMap { if case .virtualMachine(let d, _, _, _) = $0.kind { d } else { nil } }
    }
}

/// Each storage resource's binding on the hosts, keyed by resource.
public typealias StorageBindings = [ResourceID: StorageResource]

/// A storage resource's binding: a shared volume that must simply be present, or an exclusive volume
/// (a filesystem image or block device) mounted on the owner only. HAAgent brings it online and offline.
public enum StorageResource: Sendable, Equatable, Codable {
    /// Online everywhere, like a cluster shared volume: the directory must exist.
    case shared(path: String)
    /// Online on one owner at a time: `device` (an image file or block device) mounted at `mountPoint`.
    case exclusive(device: String, mountPoint: String)
}
