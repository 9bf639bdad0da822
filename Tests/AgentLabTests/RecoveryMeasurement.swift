import Foundation
import LabSupport

/// How one host power-off was recovered, in seconds after the power loss, as seen from outside the
/// agents: the survivors' logs (when they suspected and fenced the host), every host's libvirtd (when
/// each guest ran elsewhere) and the guests' heartbeats (when each booted again).
struct Recovery: Codable {
    var suspected: Double?
    /// A fence device confirmed the power-off.
    var fenced: Double?
    /// The host's lease expired (or was revoked after its fence).
    var leaseLost: Double?
    /// Per guest of the lost host: a survivor's agent picked up the task that starts it there.
    var dispatched: [String: Double] = [:]
    var running: [String: Double] = [:]
    var heartbeat: [String: Double] = [:]

    var allDispatched: Double? { dispatched.values.max() }
    var allRunning: Double? { running.values.max() }
    var allBeating: Double? { heartbeat.values.max() }
}

extension AgentCluster {
    /// The size of every host's agent log now: where a measurement starts reading.
    func logOffsets() -> [String: UInt64] {
        Dictionary(uniqueKeysWithValues: lab.hosts.map { h in
            (h.name, ((try? FileManager.default.attributesOfItem(atPath: log(h.name))[.size]) as? UInt64) ?? 0)
        })
    }

    /// What the host's agent logged after `offset`.
    func log(_ host: String, after offset: UInt64) -> String {
        guard let handle = FileHandle(forReadingAtPath: log(host)) else { return "" }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }

    /// Polls until every guest of `victim` runs on a survivor and beats from a new boot (or `timeout`).
    func measureRecovery(of victim: String, guests: [String], lostAt loss: Date, logsFrom offsets: [String: UInt64],
                         timeout: Double = 120) async -> Recovery {
        var r = Recovery()
        let survivors = lab.hosts.map(\.name).filter { $0 != victim }
        let boots = Dictionary(uniqueKeysWithValues: guests.map { vm in
            (vm, lab.heartbeats(of: vm).last { $0.time < loss.timeIntervalSince1970 }?.boot ?? -1)
        })
        while Date().timeIntervalSince(loss) < timeout && r.heartbeat.count < guests.count {
            let now = Date().timeIntervalSince(loss)
            if r.suspected == nil || r.fenced == nil || r.leaseLost == nil || r.dispatched.count < guests.count {
                let logs = survivors.map { log($0, after: offsets[$0] ?? 0) }.joined(separator: "\n")
                if r.leaseLost == nil, logs.contains("event=lease-lost \(victim) ") { r.leaseLost = now }
                for vm in guests where r.dispatched[vm] == nil && logs.contains("group=\(vm) reason=fail over ") { r.dispatched[vm] = now }
                if r.suspected == nil, logs.contains("node-suspected \(victim)") || logs.contains("leader=\(victim) [HAAgent] the leader is silent") {
                    r.suspected = now
                }
                if r.fenced == nil, logs.contains("node=\(victim) proof=\(victim) fenced") || logs.contains("leader=\(victim) outcome=\(victim) fenced") {
                    r.fenced = now
                }
            }
            for vm in guests where r.running[vm] == nil {
                let h = runningHosts(of: vm)
                if h.count == 1 && h != [victim] { r.running[vm] = now }
            }
            for vm in guests where r.heartbeat[vm] == nil
                && lab.heartbeats(of: vm).contains(where: { $0.time > loss.timeIntervalSince1970 && $0.boot != boots[vm] }) {
                r.heartbeat[vm] = now
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return r
    }
}
