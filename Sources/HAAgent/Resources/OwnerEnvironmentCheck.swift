import ClusterSchema
import DomainXML
import HACore

/// The HA wizard's check of what a VM attaches to against each possible owner's inventory: its
/// networks and bridges, its CPU model, its pass-through devices. Pure: it reads published profiles only.
struct OwnerEnvironmentCheck {
    /// Each possible owner's published profile (nil: it publishes none; `PossibleOwnerCheck` says so).
    let profiles: [NodeID: HostProfile]

    /// What stops `domain` from starting on `node`, each a sentence naming the thing and the fix.
    /// `devices`: the block devices of the group's exclusive volumes, which the owner must see too.
    func problems(_ domain: DomainDefinition, on node: NodeID, devices: [String] = []) -> [String] {
        guard let profile = profiles[node], let inventory = profile.inventory else { return [] }
        var problems: [String] = []
        for interface in domain.interfaces {
            let name = interface.mac.map { "interface \($0)" } ?? "an interface"
            switch interface.type {
            case "network":
                if let network = interface.sourceNetwork, let networks = inventory.networks, !networks.contains(network) {
                    problems.append("\(name) attaches to libvirt network \(network), which is not active there; define and start it there "
                                    + "(virsh net-define, net-start, net-autostart) or take \(node) off the possible owners")
                }
            case "bridge":
                if let bridge = interface.sourceBridge, !inventory.bridges.contains(bridge) {
                    problems.append("\(name) attaches to bridge \(bridge), which that host does not have; create it there or take \(node) off the possible owners")
                }
            default: break
            }
        }
        if let cpu = domain.cpu, let offered = inventory.domainCapabilities[domain.domainType] {
            problems += cpuProblems(cpu, offered: offered, hostModel: profile.capabilities.hostCPUModel, domainType: domain.domainType)
        }
        let disks = domain.disks.compactMap { disk -> String? in
            if case let .block(path)? = disk.source, BlockDevicePath.isStable(path) { path } else { nil }
        }
        for device in Set(disks + devices).sorted() where !inventory.stableBlockDevices.contains(device) {
            problems.append("block device \(device) does not exist there; present the LUN to that host too (same name under "
                            + "/dev/disk/by-id), or take \(node) off the possible owners")
        }
        for device in domain.hostDevices {
            switch device {
            case let .pci(address) where !inventory.pciDevices.contains(address):
                problems.append("the VM passes through \(device), which that host does not have; every possible owner needs the device at the same address")
            case let .usb(vendorProduct) where !inventory.usbDevices.contains(vendorProduct):
                problems.append("the VM passes through \(device), which is not plugged into that host")
            default: break
            }
        }
        return problems
    }

    private func cpuProblems(_ cpu: GuestCPU, offered: DomainCapabilities, hostModel: String?, domainType: String) -> [String] {
        let host = hostModel.map { " (its CPU: \($0))" } ?? ""
        switch cpu.mode {
        case .custom:
            guard let model = cpu.model, !offered.usableCPUModels.contains(model) else { return [] }
            if offered.unusableCPUModels.contains(model) {
                return ["CPU model \(model) is not usable on that host's CPU\(host); choose a model every possible owner offers (virsh domcapabilities lists them), or mode='host-model'"]
            }
            return ["libvirt there knows no CPU model \(model); choose one of the models virsh domcapabilities lists on every possible owner"]
        case .hostPassthrough:
            return offered.hostPassthrough ? [] : ["CPU mode host-passthrough is not offered for domain type \(domainType) there; use mode='host-model' or a custom model"]
        case .hostModel, .maximum:
            return []
        }
    }

    /// What works but an operator should know, over all `owners` together (each names the VM and the fix):
    /// what was not checked on some of them, each with the owners it concerns, then `vmWarnings`.
    func warnings(_ domain: DomainDefinition, on owners: [NodeID]) -> [String] {
        let unchecked = [Self.noInventory(domain), Self.noNetworks(domain)].compactMap { sentence -> String? in
            let nodes = owners.sorted().filter { ownerWarnings(domain, on: $0).contains(sentence) }
            return nodes.isEmpty ? nil : "\(nodes.map(\.rawValue).joined(separator: ", ")): \(sentence)"
        }
        return unchecked + vmWarnings(domain, on: owners)
    }

    /// What was not checked on `node` alone: its vigild publishes no inventory, or its libvirt lists no networks.
    func ownerWarnings(_ domain: DomainDefinition, on node: NodeID) -> [String] {
        guard let profile = profiles[node] else { return [] }
        guard let inventory = profile.inventory else { return [Self.noInventory(domain)] }
        let usesNetworks = domain.interfaces.contains { $0.type == "network" }
        return usesNetworks && inventory.networks == nil ? [Self.noNetworks(domain)] : []
    }

    private static func noInventory(_ domain: DomainDefinition) -> String {
        "vigild publishes no inventory there (an older version), so VM \(domain.name)'s networks, CPU model and devices were not checked there; upgrade it and check again"
    }

    private static func noNetworks(_ domain: DomainDefinition) -> String {
        "libvirt does not list its networks, so VM \(domain.name)'s networks were not checked there"
    }

    /// What an operator should know about the VM wherever it runs: owners' CPUs that differ, devices that pin it.
    func vmWarnings(_ domain: DomainDefinition, on owners: [NodeID]) -> [String] {
        var warnings: [String] = []
        if let cpu = domain.cpu, cpu.mode != .custom {
            let models = Dictionary(grouping: owners.sorted()) { profiles[$0]?.capabilities.hostCPUModel ?? "unknown" }
            if models.count > 1 {
                let listing = models.keys.sorted().map { "\($0) on \(models[$0]!.map(\.rawValue).joined(separator: ", "))" }.joined(separator: "; ")
                let effect = cpu.followsTheHost
                    ? "the guest sees a different CPU on each, so live migration between them is refused or can crash it"
                    : "live migration from a newer to an older one is refused"
                warnings.append("VM \(domain.name) uses CPU mode \(cpu.mode.rawValue) and its possible owners' CPUs differ (\(listing)): \(effect); "
                                + "failover (a cold start) is not affected. For live moves use a custom CPU model every owner offers")
            }
        }
        for device in domain.hostDevices {
            if case .usbAddress = device {
                warnings.append("VM \(domain.name) passes through \(device): bus and device numbers change when it is replugged and differ between hosts; name it by vendor and product")
            }
        }
        let pinned = Self.unmigratableDevices(of: domain)
        if !pinned.isEmpty {
            warnings.append("VM \(domain.name) passes through \(pinned.map(\.description).joined(separator: ", ")): "
                            + "QEMU can neither live-migrate nor save such a guest, so it moves cold only (shut down, then started on the target)")
        }
        return warnings
    }

    /// The VM's devices that QEMU can neither migrate nor save (assigned PCI functions, mediated and
    /// other subsystem devices; USB devices are re-attached and do not pin the guest).
    static func unmigratableDevices(of domain: DomainDefinition) -> [HostDevice] {
        domain.hostDevices.filter {
            switch $0 {
            case .pci, .other: true
            case .usb, .usbAddress: false
            }
        }
    }
}
