/// A VM as an operator makes it highly available, before it is put in a group.
public struct VMDefinition: Hashable, Codable, Sendable {
    public var name: String
    /// Path of the domain XML on shared storage.
    public var domainXMLPath: String
    public var memoryMiB: Int
    public var vcpus: Int
    /// Storage volumes holding the VM's disks or their backing files, and how each is shared.
    public var storage: [ResourceID: StorageSharing]
    public var moveMethods: [MoveMethod]
    public init(name: String, domainXMLPath: String, memoryMiB: Int, vcpus: Int, storage: [ResourceID: StorageSharing] = [:],
                moveMethods: [MoveMethod] = MoveMethod.allCases) {
        self.name = name
        self.domainXMLPath = domainXMLPath
        self.memoryMiB = memoryMiB
        self.vcpus = vcpus
        self.storage = storage
        self.moveMethods = moveMethods
    }
}

/// Why a VM cannot be put in a group.
public enum GroupingError: Error, Hashable, Sendable, CustomStringConvertible {
    case alreadyGrouped(vm: String, group: GroupID)
    /// The VM's exclusive storage lies in more than one group: they would have to become one.
    case storageInSeveralGroups(vm: String, groups: [GroupID])
    /// The VM's exclusive storage belongs to one group, the operator asked for another.
    case storageBelongsElsewhere(storage: GroupID, asked: GroupID)
    /// The VM names storage as shared that a group has as exclusive, or the other way round.
    case sharingMismatch(storage: ResourceID, group: GroupID, there: StorageSharing)

    public var description: String {
        switch self {
        case .alreadyGrouped(let vm, let g): "VM \(vm) is already highly available in group \(g)"
        case .storageInSeveralGroups(let vm, let groups):
            "VM \(vm)'s exclusive storage lies in groups \(groups.map(\.rawValue).joined(separator: " and ")): "
                + "VMs on one volume move together, so those groups would have to become one; remove one of them first"
        case .storageBelongsElsewhere(let storage, let asked):
            "the VM's storage belongs to group \(storage), not \(asked): VMs on one volume move together"
        case .sharingMismatch(let s, let g, let there): "storage \(s) is \(there.rawValue) in group \(g); name it so here too"
        }
    }
}

/// Automatic grouping, the HA wizard's one rule: VMs whose disks lie on the same exclusive storage
/// share a group (they can only move together); shared storage binds no VMs together.
public enum GroupBuilder {
    /// The group `vm` goes into beside `groups` (the cluster's groups), with `vm` in it: the group
    /// that holds any of its exclusive storage, else the group `asked` names (joined or new, default:
    /// named after the VM) with `policy`. A group joined keeps its own policy. In the group, the VM
    /// depends on its configuration (`<vm>-config`), the configuration on the VM's storage. Throws
    /// `GroupingError`, or `GroupValidationError` when the VM's resource names clash with the group's.
    public static func group(for vm: VMDefinition, among groups: [GroupDefinition], asked: GroupID? = nil,
                             policy: GroupPolicy = GroupPolicy()) throws -> GroupDefinition {
        if let owner = groups.first(where: { g in g.vms.contains { $0.id == ResourceID(vm.name) } }) {
            throw GroupingError.alreadyGrouped(vm: vm.name, group: owner.id)
        }
        for (s, sharing) in vm.storage {
            for g in groups {
                if case .storage(let there)? = g.resources.first(where: { $0.id == s })?.kind, there != sharing {
                    throw GroupingError.sharingMismatch(storage: s, group: g.id, there: there)
                }
            }
        }
        let exclusive = Set(vm.storage.filter { $0.value == .exclusive }.keys)
        let binding = groups.filter { g in g.resources.contains { exclusive.contains($0.id) } }.map(\.id).sorted()
        guard binding.count <= 1 else { throw GroupingError.storageInSeveralGroups(vm: vm.name, groups: binding) }
        if let bound = binding.first, let asked, asked != bound { throw GroupingError.storageBelongsElsewhere(storage: bound, asked: asked) }
        let id = binding.first ?? asked ?? GroupID(vm.name)
        let existing = groups.first { $0.id == id }
        return try definition(id, adding: vm, to: existing, policy: existing?.policy ?? policy)
    }

    private static func definition(_ id: GroupID, adding vm: VMDefinition, to existing: GroupDefinition?,
                                   policy: GroupPolicy) throws -> GroupDefinition {
        let config = ResourceID("\(vm.name)-config")
        let resource = Resource.vm(vm.name, memoryMiB: vm.memoryMiB, vcpus: vm.vcpus, moveMethods: vm.moveMethods)
        var resources = existing?.resources ?? []
        var dependencies = existing?.dependencies ?? [:]
        resources += [Resource(id: config, kind: .vmConfiguration(domainXMLPath: vm.domainXMLPath)), resource]
        for (s, sharing) in vm.storage.sorted(by: { $0.key < $1.key }) where !resources.contains(where: { $0.id == s }) {
            resources.append(Resource(id: s, kind: .storage(sharing)))
        }
        dependencies[resource.id] = [config]
        dependencies[config] = Set(vm.storage.keys)
        return try GroupDefinition(id: id, resources: resources, dependencies: dependencies, policy: policy)
    }
}
