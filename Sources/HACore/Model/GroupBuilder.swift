/// A VM as configured by an operator, before it is put in a group.
public struct VMDefinition: Hashable, Codable, Sendable {
    public var name: String
    /// Path of the domain XML on shared storage.
    public var domainXMLPath: String
    public var memoryMiB: Int
    public var vcpus: Int
    /// Storage volumes holding the VM's disks or their backing files.
    public var storage: [ResourceID]
    public var moveMethods: [MoveMethod]
    public init(name: String, domainXMLPath: String, memoryMiB: Int, vcpus: Int, storage: [ResourceID] = [],
                moveMethods: [MoveMethod] = MoveMethod.allCases) {
        self.name = name
        self.domainXMLPath = domainXMLPath
        self.memoryMiB = memoryMiB
        self.vcpus = vcpus
        self.storage = storage
        self.moveMethods = moveMethods
    }
}

/// Why automatic grouping failed.
public enum GroupingError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknownStorage(vm: String, storage: ResourceID)
    case duplicateVM(String)
    /// VMs forced into one group by shared exclusive storage carry different policies.
    case conflictingPolicies(vms: [String])

    public var description: String {
        switch self {
        case .unknownStorage(let vm, let s): return "VM \(vm): unknown storage \(s)"
        case .duplicateVM(let n): return "VM \(n) defined twice"
        case .conflictingPolicies(let v):
            return "VMs \(v.joined(separator: ", ")) share exclusive storage but have different policies"
        }
    }
}

/// Builds groups from VMs: VMs whose disks lie on the same exclusive storage share a group.
public enum GroupBuilder {
    /// Groups named after their first VM (by name); each VM depends on its configuration and storage.
    /// `policies` is looked up by VM name; VMs without an entry get the default policy.
    public static func groups(vms: [VMDefinition], storage: [ResourceID: StorageSharing],
                              policies: [String: GroupPolicy] = [:]) throws -> [GroupDefinition] {
        var parent: [String: String] = [:]
        func find(_ x: String) -> String {
            var r = x
            while let p = parent[r], p != r { r = p }
            parent[x] = r
            return r
        }
        var owner: [ResourceID: String] = [:]  // exclusive storage -> first VM using it
        for vm in vms.sorted(by: { $0.name < $1.name }) {
            if parent[vm.name] != nil { throw GroupingError.duplicateVM(vm.name) }
            parent[vm.name] = vm.name
            for s in vm.storage {
                guard let sharing = storage[s] else { throw GroupingError.unknownStorage(vm: vm.name, storage: s) }
                guard sharing == .exclusive else { continue }
                if let other = owner[s] {
                    let (a, b) = (find(other), find(vm.name))
                    if a != b { parent[max(a, b)] = min(a, b) }
                } else { owner[s] = vm.name }
            }
        }
        var members: [String: [VMDefinition]] = [:]
        for vm in vms { members[find(vm.name), default: []].append(vm) }
        return try members.keys.sorted().map { root in
            let group = members[root]!.sorted { $0.name < $1.name }
            let named = Set(group.compactMap { policies[$0.name] })
            if named.count > 1 { throw GroupingError.conflictingPolicies(vms: group.map(\.name)) }
            return try definition(GroupID(root), group, storage: storage, policy: named.first ?? GroupPolicy())
        }
    }

    private static func definition(_ id: GroupID, _ vms: [VMDefinition], storage: [ResourceID: StorageSharing],
                                   policy: GroupPolicy) throws -> GroupDefinition {
        var resources: [Resource] = []
        var deps: [ResourceID: Set<ResourceID>] = [:]
        var seenStorage = Set<ResourceID>()
        for vm in vms {
            let config = ResourceID("\(vm.name).config")
            resources.append(Resource(id: config, kind: .vmConfiguration(domainXMLPath: vm.domainXMLPath)))
            resources.append(.vm(vm.name, memoryMiB: vm.memoryMiB, vcpus: vm.vcpus, moveMethods: vm.moveMethods))
            let exclusive = vm.storage.filter { storage[$0] == .exclusive }
            for s in exclusive where seenStorage.insert(s).inserted {
                resources.append(Resource(id: s, kind: .storage(.exclusive)))
            }
            deps[ResourceID(vm.name)] = Set(exclusive).union([config])
        }
        return try GroupDefinition(id: id, resources: resources, dependencies: deps, policy: policy)
    }
}
