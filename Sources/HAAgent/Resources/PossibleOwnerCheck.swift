import AgentAPI
import ClusterSchema
import DomainXML
import HACoordination
import HACore

/// The HA wizard's last check: can every possible owner host this VM? Each owner must run an agent,
/// see the same shared storage (its marker token reads the same here), offer the VM's architecture,
/// domain type and machine type, its networks, bridges, CPU model, block devices and pass-through devices, and have
/// the memory and vCPUs for it.
struct PossibleOwnerCheck {
    /// This host's view of shared storage.
    let storage: SharedStorage
    /// Agent records by node.
    let agents: [NodeID: AgentRecord]
    /// Capacity for VMs by node (members, and known nodes that are down).
    let capacities: [NodeID: NodeCapacity]
    /// Block devices of the group's exclusive volumes, which each owner must see by the same name.
    var devices: [String] = []

    /// The owners' published profiles, for the network, CPU and device checks.
    var environment: OwnerEnvironmentCheck { OwnerEnvironmentCheck(profiles: agents.compactMapValues(\.profile)) }

    /// What works on `owners` but an operator should know (CPUs that differ, devices that pin the VM).
    func warnings(_ domain: DomainDefinition, on owners: [NodeID]) -> [String] { environment.warnings(domain, on: owners) }

    /// Each owner's problems and what was not checked there, and the warnings about the VM on all of them.
    func report(_ domain: DomainDefinition, on owners: [NodeID]) -> WizardReport {
        WizardReport(warnings: environment.vmWarnings(domain, on: owners),
                     owners: owners.sorted().map { node in
                         WizardReport.Owner(node: node.rawValue, problems: problems(domain, on: node),
                                            warnings: environment.ownerWarnings(domain, on: node))
                     })
    }

    /// Why the VM could not run on some of `owners`, each problem prefixed with the node; empty when all can.
    func problems(_ domain: DomainDefinition, on owners: [NodeID]) -> [String] {
        owners.sorted().flatMap { node in problems(domain, on: node).map { "\(node): \($0)" } }
    }

    private func problems(_ domain: DomainDefinition, on node: NodeID) -> [String] {
        guard let agent = agents[node] else { return ["no vigild has ever run there (not a cluster node?)"] }
        guard let profile = agent.profile else { return ["its vigild publishes no host profile (an older version?)"] }
        var problems: [String] = []
        if SharedStorage(root: profile.sharedStorage) != storage {
            problems.append("uses \(profile.sharedStorage) as shared storage, this host \(storage.root)")
        } else if StorageMarker.read(for: node, in: storage) != profile.storageToken {
            problems.append("does not see this host's shared storage at \(storage.root) (its marker \(StorageMarker.path(of: node, in: storage)) is missing or different here)")
        }
        problems += profile.capabilities.problems(running: domain)
        problems += environment.problems(domain, on: node, devices: devices)
        if let capacity = capacities[node] {
            let memoryMiB = Int(domain.memoryKiB / 1024)
            if memoryMiB > capacity.memoryMiB {
                problems.append("has \(capacity.memoryMiB) MiB of memory for VMs; the VM needs \(memoryMiB) MiB")
            }
            if domain.vcpus > capacity.vcpus {
                problems.append("has \(capacity.vcpus) vCPUs for VMs; the VM needs \(domain.vcpus)")
            }
        }
        return problems
    }
}
