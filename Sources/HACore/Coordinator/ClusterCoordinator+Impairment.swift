/// Hosts whose agent reports they cannot host groups now (libvirtd does not answer, shared storage
/// fails): they take no groups meanwhile, and what fails there fails over instead of restarting in
/// place (see `resourceFailed`). What runs there is left alone: QEMU runs on without libvirtd.
extension ClusterCoordinator {
    mutating func nodeImpaired(_ n: NodeID, _ reason: String, _ out: inout Decisions) {
        guard var node = nodes[n] else { return unknown("node", n.rawValue, &out) }
        guard node.impairment != reason else { return }
        node.impairment = reason
        nodes[n] = node
        out.add(.raiseAlert(.warning), "\(n) cannot host groups now (\(reason)): it takes none until its agent reports it able again; what runs there stays")
    }

    mutating func nodeRestored(_ n: NodeID, _ out: inout Decisions) {
        guard var node = nodes[n], let was = node.impairment else { return }
        node.impairment = nil
        nodes[n] = node
        out.add(.raiseAlert(.info), "\(n) can host groups again (was: \(was))")
    }
}
