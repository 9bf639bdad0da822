import Blocking
import ClusterSchema
import Foundation
import HACoordination
import HACore
import Libvirt
import Logging

/// Performs the coordinator's `fenceNode` directive for a node whose lease was lost: finds out whether
/// the host is alive (its libvirtd answers: only its agent is down, its guests run on and must not be
/// killed), else powers it off with its fence devices (levels in order), else waits out its armed
/// watchdog. Holds no policy: it only says what it proved.
struct NodeFencer: Sendable {
    let store: any CoordinationStore
    let fencing: FencingSettings
    /// How long the host's libvirtd may take to answer before the host counts as unreachable.
    var liveProbeTimeout: Duration = .seconds(2)
    /// Slack added to a watchdog's timeout (clock drift, a slow reset).
    var watchdogMargin: Duration = .seconds(1)
    let logger: Logger

    /// What fencing proved.
    enum Outcome: Sendable, Equatable, CustomStringConvertible {
        /// The node runs nothing: a fence device confirmed it off.
        case poweredOff(String)
        /// The node runs nothing: its armed watchdog has reset it (valid only if it did not rejoin meanwhile).
        case watchdogExpired(String)
        /// The host is up (its libvirtd answers): nothing may be started elsewhere on its account,
        /// and nothing is killed; disk locks keep its guests single.
        case hostAlive(String)
        /// Nothing could be proved (no device, or every level failed, and no watchdog).
        case unproven(String)

        var description: String {
            switch self {
            case .poweredOff(let s), .watchdogExpired(let s), .hostAlive(let s), .unproven(let s): s
            }
        }
    }

    /// `leaseLost`: the store has expired the node's lease (else it is fenced on its peers' suspicion,
    /// and its watchdog proves nothing yet: it is petted while the lease is confirmed).
    func fence(_ node: NodeID, leaseLost: Bool) async -> Outcome {
        let clock = ContinuousClock(), start = clock.now
        let kv = try? await store.get(ClusterKeys.agent(node))
        let record = kv.flatMap { try? StoreCoding.decode(AgentRecord.self, $0.value, key: $0.key) }
        if let uri = record?.migrationURI, await libvirtAnswers(uri) {
            return .hostAlive("\(node)'s libvirtd answers at \(uri): the host is up and only its agent is unreachable")
        }
        // Where a fence's time goes before the device runs: the record read (waits out an etcd
        // election) and the libvirt probe (fails at once on a refused connection, else at its bound).
        let unreachable = String(format: "%.2f s", (clock.now - start).seconds)
        var failures: [String] = []
        if let topology = fencing.topology(for: node.rawValue) {
            let result = await topology.fence(node: node.rawValue)
            if result.isConfirmed {
                // Off for sure: its lease (still running if it was fenced on suspicion) goes now, and with
                // it its record and, if it led, the leader key, so that nobody waits for it to expire.
                if let lease = try? await store.get(ClusterKeys.node(node))?.lease { try? await store.revokeLease(lease) }
                return .poweredOff("\(result); host found unreachable after \(unreachable)")
            }
            failures.append("\(result)")
        }
        if leaseLost, let seconds = record?.watchdogResetSeconds {
            // The agent pets its watchdog only while its last confirmed renewal is recent (see
            // `WatchdogPetting`), so the watchdog has reset the host at most `seconds` after its lease
            // could expire; the lease has expired by now (lost, or fenced on suspicion and not heard
            // since): waiting that long (plus slack) from now is proof.
            let wait = Duration.milliseconds(Int64(seconds * 1000)) + watchdogMargin
            try? await Task.sleep(for: wait)
            return .watchdogExpired("\(node)'s watchdog (resets it \(seconds) s after its lease expires) has reset it: \(wait) passed since its lease was lost"
                              + (failures.isEmpty ? "" : " (\(failures.joined(separator: "; ")))"))
        }
        failures.append(fencing.topology(for: node.rawValue) == nil ? "no fence device configured" : "")
        let watchdog = record?.watchdogResetSeconds == nil ? "no armed watchdog" : "its watchdog proves nothing while its lease runs"
        return .unproven("\(node) not fenced: \(failures.filter { !$0.isEmpty }.joined(separator: "; ")), \(watchdog)")
    }

    /// Whether the libvirtd at `uri` accepts a connection within the probe timeout.
    func libvirtAnswers(_ uri: String) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                (try? await BlockingCall.run("vigil-fence-probe") { () throws -> Bool in
                    let connection = try Connection(uri: uri)
                    defer { connection.close() }
                    _ = try connection.hostname()  // one round trip to the daemon
                    return true
                }) ?? false
            }
            group.addTask { [liveProbeTimeout] in
                try? await Task.sleep(for: liveProbeTimeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
