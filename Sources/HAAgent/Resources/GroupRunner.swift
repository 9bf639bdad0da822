import ClusterSchema
import HACore
import Libvirt

/// How this host brings each resource of a group online: the facts the coordinator does not need
/// (device paths, mount points) for storage resources, keyed by resource.

/// Brings a group's resources online on this host in dependency order (storage → configuration →
/// VM) and offline in reverse, and performs the host's side of quick migration.
public struct GroupRunner: Sendable {
    public let hypervisor: any Hypervisor
    public let storage: SharedStorage
    public let storageBindings: StorageBindings
    public let backingFiles: BackingFiles

    public init(hypervisor: any Hypervisor, storage: SharedStorage, storageBindings: StorageBindings = [:],
                backingFiles: @escaping BackingFiles = BackingFilesOnDisk.read) {
        self.hypervisor = hypervisor
        self.storage = storage
        self.storageBindings = storageBindings
        self.backingFiles = backingFiles
    }

    /// Brings every resource online in `onlineOrder`; stops at the first failure, naming the resource.
    @discardableResult
    public func online(_ group: GroupDefinition) throws(GroupActionError) -> [ResourceID: VMResource.OnlineOutcome] {
        var configurations: [ResourceID: VMConfiguration] = [:]
        var outcomes: [ResourceID: VMResource.OnlineOutcome] = [:]
        for id in group.onlineOrder {
            let resource = group.resource(id)
            do {
                switch resource.kind {
                case .storage:
                    try storageResource(id, in: group).online()
                case .vmConfiguration(let path):
                    let domain = try group.domainName(configuredBy: id)
                    configurations[id] = try configurationResource(path: path, domain: domain).online()
                case .virtualMachine(let domain, _, _, _):
                    let configuration = try group.configuration(of: id, loaded: configurations)
                    outcomes[id] = try VMResource(domainName: domain, hypervisor: hypervisor).online(configuration)
                }
            } catch {
                throw GroupActionError(group: group.id, resource: id, action: "online", reason: "\(error)")
            }
        }
        return outcomes
    }

    /// Takes every resource offline in `offlineOrder`: VMs shut down within `deadline` (then destroyed)
    /// and undefined, storage released. Goes on past failures and reports the first. Blocks meanwhile,
    /// like every call of this runner: run it on a thread of its own (`BlockingCall`).
    public func offline(_ group: GroupDefinition, deadline: Duration) throws(GroupActionError) {
        var firstError: GroupActionError?
        for id in group.offlineOrder {
            do {
                switch group.resource(id).kind {
                case .virtualMachine(let domain, _, _, _):
                    _ = try VMResource(domainName: domain, hypervisor: hypervisor).offline(deadline: deadline)
                case .storage:
                    try storageResource(id, in: group).offline()
                case .vmConfiguration:
                    break  // the XML stays on shared storage
                }
            } catch {
                firstError = firstError ?? GroupActionError(group: group.id, resource: id, action: "offline", reason: "\(error)")
            }
        }
        if let firstError { throw firstError }
    }

    /// Source side of a quick migration: saves every VM's memory to shared storage, undefines the
    /// VMs here and releases the group's exclusive storage.
    public func saveForQuickMigration(_ group: GroupDefinition) throws(GroupActionError) {
        for id in group.offlineOrder {
            do {
                switch group.resource(id).kind {
                case .virtualMachine(let domain, _, _, _):
                    let path = storage.saveImagePath(for: domain)
                    try FileSystem.createParent(of: path)
                    if try hypervisor.state(of: domain)?.isActive == true { try hypervisor.save(domain, to: path) }
                    try hypervisor.undefine(domain)
                case .storage:
                    try storageResource(id, in: group).offline()
                case .vmConfiguration:
                    break
                }
            } catch {
                throw GroupActionError(group: group.id, resource: id, action: "save", reason: "\(error)")
            }
        }
    }

    /// Target side of a quick migration: storage and configuration online, then each VM restored
    /// from its save image (or started fresh when there is none) and the image removed.
    public func restoreFromQuickMigration(_ group: GroupDefinition) throws(GroupActionError) {
        var configurations: [ResourceID: VMConfiguration] = [:]
        for id in group.onlineOrder {
            do {
                switch group.resource(id).kind {
                case .storage:
                    try storageResource(id, in: group).online()
                case .vmConfiguration(let path):
                    configurations[id] = try configurationResource(path: path, domain: group.domainName(configuredBy: id)).online()
                case .virtualMachine(let domain, _, _, _):
                    let configuration = try group.configuration(of: id, loaded: configurations)
                    let image = storage.saveImagePath(for: domain)
                    if FileSystem.exists(image) {
                        try hypervisor.restore(from: image, xml: configuration.xml)
                        try FileSystem.remove(image)
                    } else {
                        _ = try VMResource(domainName: domain, hypervisor: hypervisor).online(configuration)
                    }
                }
            } catch {
                throw GroupActionError(group: group.id, resource: id, action: "restore", reason: "\(error)")
            }
        }
    }

    private func storageResource(_ id: ResourceID, in group: GroupDefinition) throws -> StorageResource {
        guard let binding = storageBindings[id] else { throw GroupDefinitionProblem.unboundStorage(id) }
        return binding
    }

    private func configurationResource(path: String, domain: String) -> VMConfigurationResource {
        VMConfigurationResource(path: path, domainName: domain, storage: storage, backingFiles: backingFiles)
    }
}

/// A resource of a group failed to change state on this host.
public struct GroupActionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let group: GroupID
    public let resource: ResourceID
    /// "online", "offline", "save" or "restore".
    public let action: String
    public let reason: String

    public var description: String { "group \(group): \(action) of \(resource) failed: \(reason)" }
}

/// A group definition this host cannot act on.
public enum GroupDefinitionProblem: Error, Sendable, Equatable, CustomStringConvertible {
    case unboundStorage(ResourceID)
    case noConfiguration(vm: ResourceID)
    case configurationWithoutVM(ResourceID)

    public var description: String {
        switch self {
        case .unboundStorage(let id): "storage resource \(id) has no device or path configured on this host"
        case .noConfiguration(let id): "VM resource \(id) depends on no VM-configuration resource"
        case .configurationWithoutVM(let id): "VM-configuration resource \(id) is needed by no VM resource"
        }
    }
}

extension GroupDefinition {
    func resource(_ id: ResourceID) -> Resource {
        guard let resource = resources.first(where: { $0.id == id }) else {
            preconditionFailure("group \(self.id): onlineOrder names \(id), which is not among its resources")
        }
        return resource
    }

    /// The domain defined by a VM-configuration resource: that of the VM resource depending on it.
    func domainName(configuredBy configuration: ResourceID) throws -> String {
        for resource in vms where dependencies[resource.id, default: []].contains(configuration) {
            if case .virtualMachine(let domain, _, _, _) = resource.kind { return domain }
        }
        throw GroupDefinitionProblem.configurationWithoutVM(configuration)
    }

    /// The loaded configuration a VM resource depends on.
    func configuration(of vm: ResourceID, loaded: [ResourceID: VMConfiguration]) throws -> VMConfiguration {
        for dependency in dependencies[vm, default: []].sorted() {
            if let configuration = loaded[dependency] { return configuration }
        }
        throw GroupDefinitionProblem.noConfiguration(vm: vm)
    }
}
