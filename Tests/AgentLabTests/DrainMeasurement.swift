import AgentAPI
import Blocking
import Foundation
import LabSupport
import XCTest

/// One drain of a host, as seen from outside the agents: how long until every guest ran elsewhere,
/// and per guest where it went, its largest heartbeat gap and whether it booted again.
struct DrainRun {
    /// Seconds from the request until the last guest ran elsewhere (and, for Vigil, the drain ended).
    var total: Double
    var guests: [String: DrainedGuest]

    var largestGap: Double { guests.values.compactMap(\.gap).max() ?? 0 }
    var rebooted: [String] { guests.filter { $0.value.rebooted }.map(\.key).sorted() }
    /// How many guests each host received.
    var spread: [String: Int] { Dictionary(grouping: guests.values.compactMap(\.host), by: { $0 }).mapValues(\.count) }

    var line: String {
        String(format: "all %d off in %.2f s, largest heartbeat gap %.2f s, spread %@, rebooted %@", guests.count, total, largestGap,
               spread.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " "),
               rebooted.isEmpty ? "none" : rebooted.joined(separator: ","))
    }
}

/// Where one guest of a drain went and how it fared.
struct DrainedGuest {
    var host: String?
    var gap: Double?
    var rebooted: Bool
}

extension AgentCluster {
    /// Every guest's boot count now (each must be beating).
    func boots(of vms: [String]) async throws -> [String: Int] {
        var boots: [String: Int] = [:]
        for vm in vms { boots[vm] = try await lab.waitForHeartbeat(of: vm, after: labNow() - 1, timeout: 300).boot }
        return boots
    }

    /// After `start`, where each guest runs, its largest heartbeat gap and whether it rebooted.
    func drained(_ vms: [String], since start: Date, boots: [String: Int], took total: Double) async throws -> DrainRun {
        var guests: [String: DrainedGuest] = [:]
        for vm in vms {
            let after = try await lab.waitForHeartbeat(of: vm, after: labNow(), timeout: 60)
            let gap = lab.largestGap(of: vm, from: start.timeIntervalSince1970, to: labNow())?.seconds
            let hosts = runningHosts(of: vm)
            guests[vm] = DrainedGuest(host: hosts.count == 1 ? hosts[0] : nil, gap: gap, rebooted: after.boot != boots[vm])
        }
        return DrainRun(total: total, guests: guests)
    }

    /// `vigil node drain HOST` through the API: waits until the node is paused and every guest runs,
    /// online, on another host; the time is the request's to that moment.
    func drainWithVigil(_ host: String, _ vms: [String], timeout: Double = 300) async throws -> DrainRun {
        let boots = try await boots(of: vms)
        let start = Date()
        let (status, body) = try await call("h1", .POST, AgentAPI.node(host, .drain))
        guard status == 202 else { throw LabError.commandFailed(arguments: ["drain", host], status: Int32(status), message: String(decoding: body, as: UTF8.self)) }
        try await waitUntil("\(host) drained of \(vms.count) guests", timeout: timeout, every: 0.1) {
            let s = try await self.status(via: "h1")
            return s.nodes.first { $0.name == host }?.state == "paused" && vms.allSatisfy { vm in
                let g = s.groups.first { $0.name == vm }
                return g?.status == "online" && g?.nodes.first != host && self.runningHosts(of: vm).count == 1
            }
        }
        let total = Date().timeIntervalSince(start)
        return try await drained(vms, since: start, boots: boots, took: total)
    }

    /// The baseline: the same guests live-migrated off `host` by plain `virsh migrate --live --p2p`
    /// (the flags vigild uses), `concurrency` at a time, to the other hosts in turn; no agent runs.
    func drainWithVirsh(_ host: String, _ vms: [String], concurrency: Int) async throws -> DrainRun {
        let boots = try await boots(of: vms)
        let source = try lab.host(host).uri
        let targets = lab.hosts.filter { $0.name != host }
        let start = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, vm) in vms.enumerated() {
                if i >= concurrency { try await group.next() }
                let target = targets[i % targets.count].tcpURI
                group.addTask {
                    let run = try await BlockingCall.run("bench-virsh-migrate") {
                        try LabScript.execute(["/usr/bin/virsh", "-q", "-c", source, "migrate", "--live", "--p2p", "--persistent",
                                               "--undefinesource", "--abort-on-error", "--unsafe", vm, target])
                    }
                    guard run.status == 0 else {
                        throw LabError.commandFailed(arguments: ["virsh migrate", vm, target], status: run.status, message: run.err)
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = Date().timeIntervalSince(start)
        return try await drained(vms, since: start, boots: boots, took: total)
    }
}
