import ClusterSchema
import HACoordination
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
                    configurations[id] = try configurationResource(path: path, domain: domain, in: group).online()
                case .virtualMachine(let domain, _, _, _):
                    let configuration = try group.configuration(of: id, loaded: configurations)
                    outcomes[id] = try VMResource(domainName: domain, hypervisor: hypervisor).online(configuration)
                }
            } catch {
                if case VMResourceError.migratingIn = error {
                    throw GroupActionError(group: group.id, resource: id, action: "online", reason: "\(error)", migratingIn: true)
                }
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

    /// Source side of a quick migration: saves every running VM's memory to shared storage in an
    /// image named after `move`, undefines the VMs here and releases the group's exclusive storage
    /// (VMs first, then storage: `offlineOrder`). Returns the images written, by domain, for the
    /// move's record; removes the domain's images of older moves (never restorable) and a partial
    /// image when a save fails.
    public func saveForQuickMigration(_ group: GroupDefinition, move: String) throws(GroupActionError) -> [String: MoveRecord.SaveImage] {
        var images: [String: MoveRecord.SaveImage] = [:]
        for id in group.offlineOrder {
            do {
                switch group.resource(id).kind {
                case .virtualMachine(let domain, _, _, _):
                    let path = storage.saveImagePath(for: domain, move: move)
                    try FileSystem.createParent(of: path)
                    for stale in storage.staleSaveImages(of: domain, except: path) { try? FileSystem.remove(stale) }
                    if try hypervisor.state(of: domain)?.isActive == true {
                        do { try hypervisor.save(domain, to: path) } catch {
                            try? FileSystem.remove(path)
                            throw error
                        }
                        images[domain] = MoveRecord.SaveImage(path: path, bytes: FileSystem.size(path) ?? 0, savedAt: .wallClockNow)
                    }
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
        return images
    }

    /// Target side of a quick migration: storage and configuration online, then each VM restored
    /// from the image its move saved (and the image removed), or started from its disks when that
    /// image cannot be trusted: no finished save of this move recorded, not saved (it was not
    /// running), missing, or not the size the save wrote (set aside). A restore that fails sets its
    /// image aside and fails the step (the coordinator then starts the group cold).
    public func restoreFromQuickMigration(_ group: GroupDefinition, move: MoveRecord?, moveID: String)
        throws(GroupActionError) -> [String: QuickRestoreOutcome] {
        var configurations: [ResourceID: VMConfiguration] = [:]
        var outcomes: [String: QuickRestoreOutcome] = [:]
        for id in group.onlineOrder {
            do {
                switch group.resource(id).kind {
                case .storage:
                    try storageResource(id, in: group).online()
                case .vmConfiguration(let path):
                    configurations[id] = try configurationResource(path: path, domain: group.domainName(configuredBy: id), in: group).online()
                case .virtualMachine(let domain, _, _, _):
                    let configuration = try group.configuration(of: id, loaded: configurations)
                    let path = storage.saveImagePath(for: domain, move: moveID)
                    if let unusable = Self.untrusted(path, of: domain, in: move, moveID: moveID) {
                        var reason = unusable
                        if FileSystem.exists(path), let aside = try? FileSystem.setAside(path) { reason += "; image set aside at \(aside)" }
                        _ = try VMResource(domainName: domain, hypervisor: hypervisor).online(configuration)
                        outcomes[domain] = .coldStarted(reason: reason)
                        continue
                    }
                    do {
                        try hypervisor.restore(from: path, xml: configuration.xml)
                    } catch {
                        let aside = (try? FileSystem.setAside(path)).map { "image set aside at \($0)" } ?? "image could not be set aside"
                        throw QuickRestoreError(image: path, problem: "\(error)", setAside: aside)
                    }
                    try FileSystem.remove(path)
                    outcomes[domain] = .restored(image: path)
                }
            } catch {
                throw GroupActionError(group: group.id, resource: id, action: "restore", reason: "\(error)")
            }
        }
        return outcomes
    }

    /// Why the image at `path` must not be restored, or nil when it is the finished save of this move.
    static func untrusted(_ path: String, of domain: String, in move: MoveRecord?, moveID: String) -> String? {
        guard let move, move.id == moveID else {
            return "no record of move \(moveID)'s save" + (move.map { " (the group's latest move is \($0.id))" } ?? "") + ": starting it from its disks"
        }
        guard move.phase == .saved else {
            return "the save of move \(moveID) did not finish (its record says \(move.phase.rawValue)): starting it from its disks"
        }
        guard let image = move.vms[domain]?.image else {
            return "move \(moveID) saved no state of \(domain) (it was not running on the source): starting it from its disks"
        }
        guard image.path == path else {
            return "move \(moveID)'s record names another image (\(image.path)): starting it from its disks"
        }
        guard let size = FileSystem.size(path) else {
            return "the save image \(path) of move \(moveID) is missing: starting it from its disks"
        }
        guard size == image.bytes else {
            return "the save image \(path) is unusable: \(size) bytes where the save wrote \(image.bytes): starting it from its disks"
        }
        return nil
    }

    private func storageResource(_ id: ResourceID, in group: GroupDefinition) throws -> StorageResource {
        guard let binding = storageBindings[id] else { throw GroupDefinitionProblem.unboundStorage(id) }
        return binding
    }

    /// The configuration resource of `domain`, whose disks may lie on `group`'s own storage volumes.
    private func configurationResource(path: String, domain: String, in group: GroupDefinition) -> VMConfigurationResource {
        let volumes = group.resources.compactMap { r -> String? in
            guard case .storage = r.kind else { return nil }
            return storageBindings[r.id]?.directory
        }
        return VMConfigurationResource(path: path, domainName: domain, storage: storage, volumes: volumes, backingFiles: backingFiles)
    }
}

/// What the target of a quick migration did for one VM.
public enum QuickRestoreOutcome: Sendable, Equatable {
    /// Restored from its move's save image, which is then removed.
    case restored(image: String)
    /// Started from its disks instead, and why.
    case coldStarted(reason: String)
}

/// A restore from a save image failed; the image was set aside so no later move can use it.
public struct QuickRestoreError: Error, Sendable, CustomStringConvertible {
    public let image: String
    public let problem: String
    /// Where the image went ("image set aside at PATH").
    public let setAside: String
    public var description: String { "restore from \(image) failed: \(problem); \(setAside)" }
}

/// A resource of a group failed to change state on this host.
public struct GroupActionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let group: GroupID
    public let resource: ResourceID
    /// "online", "offline", "save" or "restore".
    public let action: String
    public let reason: String
    /// The online found the VM migrating in to this host: a start refused because its source still
    /// runs it, not a failure of the VM.
    public var migratingIn = false

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
