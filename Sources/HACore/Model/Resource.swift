/// The name of a resource (a VM, its configuration, or a storage volume), unique in the cluster.
public struct ResourceID: StringIdentifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// How a VM may be moved between nodes, from least to most disruptive.
public enum MoveMethod: String, Hashable, Codable, Sendable, CaseIterable, Comparable {
    /// Live migration: memory copied while the guest runs; no downtime visible to clients.
    case live
    /// Quick migration: save the guest's state to shared storage, restore it on the target.
    case quick
    /// Cold move: shut the guest down, start it on the target.
    case cold
    public static func < (a: MoveMethod, b: MoveMethod) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Whether a storage resource can be online on one owner at a time or everywhere.
public enum StorageSharing: String, Hashable, Codable, Sendable {
    /// Like a SAN disk: online on exactly one owner at a time; moves with its group.
    case exclusive
    /// Like a cluster shared volume: online on every node; never moves.
    case shared
}

/// What kind of resource this is, with the facts the coordinator needs about it.
public enum ResourceKind: Hashable, Codable, Sendable {
    /// The VM configuration: a domain XML file on shared storage.
    case vmConfiguration(domainXMLPath: String)
    /// The running domain, with its demand on a node and the move methods it allows, best first.
    case virtualMachine(domain: String, memoryMiB: Int, vcpus: Int, moveMethods: [MoveMethod])
    /// A storage volume the group's VMs use.
    case storage(StorageSharing)
}

/// One resource of a group.
public struct Resource: Hashable, Codable, Sendable {
    public var id: ResourceID
    public var kind: ResourceKind
    public init(id: ResourceID, kind: ResourceKind) { self.id = id; self.kind = kind }

    /// A VM resource with the usual move ladder live → quick → cold.
    public static func vm(_ name: String, memoryMiB: Int, vcpus: Int,
                          moveMethods: [MoveMethod] = MoveMethod.allCases) -> Resource {
        Resource(id: ResourceID(name), kind: .virtualMachine(domain: name, memoryMiB: memoryMiB, vcpus: vcpus,
                                                            moveMethods: moveMethods))
    }

    /// Memory this resource needs on its owner (VMs only).
    public var memoryMiB: Int { if case .virtualMachine(_, let m, _, _) = kind { return m } else { return 0 } }
    /// vCPUs this resource needs on its owner (VMs only).
    public var vcpus: Int { if case .virtualMachine(_, _, let c, _) = kind { return c } else { return 0 } }
    /// Move methods this resource allows, best first; other resources follow their VMs, except exclusive
    /// storage, which is online on its owner only and so cannot be live-migrated over (see `moveMethodNotes`).
    public var moveMethods: [MoveMethod] {
        switch kind {
        case .virtualMachine(_, _, _, let m): m
        case .storage(.exclusive): [.quick, .cold]
        case .storage(.shared), .vmConfiguration: MoveMethod.allCases
        }
    }
    /// True for VM resources (the ones that run on a node and count against capacity).
    public var isVM: Bool { if case .virtualMachine = kind { return true } else { return false } }
}
