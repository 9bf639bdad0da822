import Blocking
import ClusterSchema
import HACoordination
import HACore
import Libvirt

/// A move toward a host whose libvirtd no longer answers (it lost power, or the network to it):
/// found before another method toward it stops the guest here for nothing.
struct MoveTargetUnreachable: Error, Sendable, CustomStringConvertible {
    let target: NodeID
    let uri: String
    let problem: String
    /// What failed first, if anything did (the live migration's own error).
    let after: String?

    var description: String {
        (after.map { "\($0); " } ?? "") + "\(target)'s libvirtd at \(uri) does not answer (\(problem)): no move toward it is tried"
    }
}

extension NodeAgent {
    /// How long the target's libvirtd has to answer before a move toward it is given up.
    static let targetCheckTimeout = Duration.seconds(2)

    /// Why `target`'s libvirtd does not answer at its migration address, or nil when it does (or
    /// when the address is unknown: then the move's own errors tell).
    func unreachable(_ target: NodeID, after failure: (any Error)? = nil) async -> MoveTargetUnreachable? {
        guard let kv = try? await store.get(ClusterKeys.agent(target)),
              let peer = try? StoreCoding.decode(AgentRecord.self, kv.value, key: kv.key) else { return nil }
        let uri = peer.migrationURI
        let check = BoundedCall(name: "vigil-target-check", timeout: Self.targetCheckTimeout)
        guard case .failure(let problem) = await check.run({ _ = try Connection(uri: uri) }) else { return nil }
        return MoveTargetUnreachable(target: target, uri: uri, problem: "\(problem)", after: failure.map { "\($0)" })
    }
}
