/// The name of a group, unique in the cluster.
public struct GroupID: StringIdentifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// Why a group definition was rejected.
public enum GroupValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The dependencies form a cycle; the resources along it, first repeated at the end.
    case dependencyCycle(group: GroupID, cycle: [ResourceID])
    /// A dependency names a resource that is not in the group.
    case unknownResource(group: GroupID, resource: ResourceID)
    /// Two resources of the group share a name.
    case duplicateResource(group: GroupID, resource: ResourceID)

    public var description: String {
        switch self {
        case .dependencyCycle(let g, let c):
            return "group \(g): dependency cycle \(c.map(\.rawValue).joined(separator: " -> "))"
        case .unknownResource(let g, let r): return "group \(g): dependency on unknown resource \(r)"
        case .duplicateResource(let g, let r): return "group \(g): resource \(r) listed twice"
        }
    }
}

/// A failover group: resources that move together, their dependency DAG, and the group's policy.
public struct GroupDefinition: Hashable, Codable, Sendable {
    public let id: GroupID
    public let resources: [Resource]
    /// For each resource, the resources that must be online before it.
    public let dependencies: [ResourceID: Set<ResourceID>]
    public var policy: GroupPolicy
    /// Resources in an order where each comes after everything it depends on.
    public let onlineOrder: [ResourceID]
    /// Total memory the group's VMs need on their owner.
    public let memoryMiB: Int
    /// Total vCPUs the group's VMs need on their owner.
    public let vcpus: Int
    /// Move methods every VM of the group allows, best first (cold is always the last resort).
    public let moveLadder: [MoveMethod]
    /// Whether the group holds storage that is online on its owner only (a volume mounted there):
    /// no lock guards it on another host, so it leaves a lost node only once that node's death is proven.
    public var hasExclusiveStorage: Bool { resources.contains { $0.kind == .storage(.exclusive) } }

    /// Validates the dependency DAG; throws `GroupValidationError` on a cycle or an unknown name.
    public init(id: GroupID, resources: [Resource], dependencies: [ResourceID: Set<ResourceID>] = [:],
                policy: GroupPolicy = GroupPolicy()) throws {
        self.id = id
        self.resources = resources
        self.dependencies = dependencies
        self.policy = policy
        self.onlineOrder = try DependencyOrder.topological(group: id, resources: resources.map(\.id),
                                                           dependencies: dependencies)
        self.memoryMiB = resources.reduce(0) { $0 + $1.memoryMiB }
        self.vcpus = resources.reduce(0) { $0 + $1.vcpus }
        var ladder = MoveMethod.allCases.filter { m in resources.allSatisfy { $0.moveMethods.contains(m) } }
        if !ladder.contains(.cold) { ladder.append(.cold) }
        self.moveLadder = ladder
    }

    enum CodingKeys: String, CodingKey { case id, resources, dependencies, policy }

    /// Decodes and validates again (a stored definition with a cycle is rejected, not trusted).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(id: try c.decode(GroupID.self, forKey: .id), resources: try c.decode([Resource].self, forKey: .resources),
                      dependencies: try c.decode([ResourceID: Set<ResourceID>].self, forKey: .dependencies),
                      policy: try c.decode(GroupPolicy.self, forKey: .policy))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(resources, forKey: .resources)
        try c.encode(dependencies, forKey: .dependencies)
        try c.encode(policy, forKey: .policy)
    }

    /// Resources in the order to take them offline: the reverse of `onlineOrder`.
    public var offlineOrder: [ResourceID] { onlineOrder.reversed() }
    /// The VM resources of the group.
    public var vms: [Resource] { resources.filter(\.isVM) }
}

/// Topological ordering of a group's dependency DAG, deterministic (ties broken by name).
enum DependencyOrder {
    static func topological(group: GroupID, resources: [ResourceID],
                            dependencies: [ResourceID: Set<ResourceID>]) throws -> [ResourceID] {
        var known = Set<ResourceID>()
        for r in resources where !known.insert(r).inserted {
            throw GroupValidationError.duplicateResource(group: group, resource: r)
        }
        for (r, deps) in dependencies {
            for d in [r] + deps.sorted() where !known.contains(d) {
                throw GroupValidationError.unknownResource(group: group, resource: d)
            }
        }
        var order: [ResourceID] = []
        var state: [ResourceID: Bool] = [:]  // false: on the current path, true: done
        var path: [ResourceID] = []
        func visit(_ r: ResourceID) throws {
            if state[r] == true { return }
            if state[r] == false {
                let start = path.firstIndex(of: r)!
                throw GroupValidationError.dependencyCycle(group: group, cycle: Array(path[start...]) + [r])
            }
            state[r] = false
            path.append(r)
            for d in (dependencies[r] ?? []).sorted() { try visit(d) }
            path.removeLast()
            state[r] = true
            order.append(r)
        }
        for r in resources.sorted() { try visit(r) }
        return order
    }
}
