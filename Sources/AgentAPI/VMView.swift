/// One highly available VM: the group it belongs to and where that group is.
public struct VMView: Codable, Sendable, Equatable {
    public var name: String
    public var group: String
    /// The group's status (see `GroupView.status`).
    public var status: String
    /// Nodes the group runs on or is moving between.
    public var nodes: [String]

    public init(name: String, group: String, status: String, nodes: [String]) {
        self.name = name
        self.group = group
        self.status = status
        self.nodes = nodes
    }
}

extension ClusterStatus {
    /// Every HA VM, by name.
    public var vms: [VMView] {
        groups.flatMap { g in g.vms.map { VMView(name: $0, group: g.name, status: g.status, nodes: g.nodes) } }
            .sorted { $0.name < $1.name }
    }

    public func node(_ name: String) -> NodeView? { nodes.first { $0.name == name } }
    public func group(_ name: String) -> GroupView? { groups.first { $0.name == name } }
    public func vm(_ name: String) -> VMView? { vms.first { $0.name == name } }
}
