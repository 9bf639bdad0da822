/// Changes of one VM inside its group, as `vigil vm edit` and `vm remove` make them.
extension GroupDefinition {
    /// The VM resource that runs `domain`, if this group has it.
    public func vmResource(runningDomain domain: String) -> Resource? {
        vms.first { if case .virtualMachine(let d, _, _, _) = $0.kind { d == domain } else { false } }
    }

    /// The group with `domain`'s demand on its owner changed (its edited configuration asks for it).
    public func updatingDemand(of domain: String, memoryMiB: Int, vcpus: Int) throws -> GroupDefinition {
        guard let vm = vmResource(runningDomain: domain), case .virtualMachine(_, _, _, let methods) = vm.kind else {
            throw GroupValidationError.unknownResource(group: id, resource: ResourceID(domain))
        }
        let resources = self.resources.map { r in
            r.id == vm.id ? Resource(id: r.id, kind: .virtualMachine(domain: domain, memoryMiB: memoryMiB, vcpus: vcpus, moveMethods: methods)) : r
        }
        return try GroupDefinition(id: id, resources: resources, dependencies: dependencies, policy: policy)
    }

    /// The group without `domain`: its VM resource and the configuration resources only it depends
    /// on. Storage stays (other VMs of the group, or the one removed, still use it). Nil when no VM
    /// is left: the group itself ends.
    public func removing(domain: String) throws -> GroupDefinition? {
        guard let vm = vmResource(runningDomain: domain) else {
            throw GroupValidationError.unknownResource(group: id, resource: ResourceID(domain))
        }
        guard vms.count > 1 else { return nil }
        let othersNeed = Set(dependencies.filter { $0.key != vm.id }.values.flatMap { $0 })
        let configurations = dependencies[vm.id, default: []].filter { dep in
            resources.contains { if case .vmConfiguration = $0.kind { $0.id == dep } else { false } } && !othersNeed.contains(dep)
        }
        let gone = configurations.union([vm.id])
        var remaining = dependencies.filter { !gone.contains($0.key) }
        for key in remaining.keys { remaining[key]?.subtract(gone) }
        return try GroupDefinition(id: id, resources: resources.filter { !gone.contains($0.id) }, dependencies: remaining, policy: policy)
    }
}
