import AgentAPI
import Foundation
import LabSupport
import Libvirt
import XCTest

/// vigild on real libvirtd + QEMU hosts with a real 3-member etcd (deploy/lab): restart in place,
/// failover past the restart threshold, host power loss, partition with self-fencing, and an agent
/// killed under its running guests. Each prints what it measured.
final class AgentLabTests: XCTestCase {
    override func setUp() {
        continueAfterFailure = false
    }

    /// Brings up a lab with an agent on every host and waits for a leader.
    func withCluster(hosts: Int = 3, fenceDevices: Bool = false, fenceLevels: [String?]? = nil, watchdogSeconds: Int? = nil,
                     agents: LabAgentSettings = LabAgentSettings(), _ body: (AgentCluster) async throws -> Void) async throws {
        try await Lab.with(hosts: hosts) { lab in
            let cluster = try await AgentCluster(lab: lab, fenceDevices: fenceDevices, fenceLevels: fenceLevels,
                                                 watchdogSeconds: watchdogSeconds, agents: agents)
            defer { cluster.stopAgents() }
            for h in lab.hosts { try await cluster.startAgent(on: h.name) }
            try await cluster.waitUntil("a leader and every node a member", timeout: 60) {
                let s = try await cluster.status(via: "h1")
                return s.leader != nil && s.nodes.filter(\.member).count == hosts
            }
            try await body(cluster)
            cluster.auditSuspicion()
        }
    }

    func owner(_ cluster: AgentCluster, _ vm: String, via host: String = "h1") async throws -> String? {
        let g = try await cluster.status(via: host).groups.first { $0.name == vm }
        return g?.status == "online" ? g?.nodes.first : nil
    }

    private func qemuPID(_ vm: String) -> Int32? { Lab.qemuPID(of: vm) }

    /// Adds vm1 with an exclusive volume, lun1 (an ext4 image on shared storage, mounted on its owner
    /// only), and waits until it is online with lun1 mounted there; returns the mount point.
    func addOnExclusiveVolume(_ c: AgentCluster, timeout: Double) async throws -> String {
        let image = c.lab.sharedStorage + "/lun1.img"
        let mountPoint = c.lab.directory + "/mnt/lun1"
        _ = try LabScript.execute(["/usr/bin/truncate", "-s", "32M", image])
        _ = try LabScript.execute(["/usr/sbin/mkfs.ext4", "-q", "-F", image])
        try await c.addVM("vm1", via: "h1", storage: [StorageRequest(name: "lun1", device: image, mountPoint: mountPoint)])
        try await c.waitUntil("vm1 online with lun1 mounted on its owner", timeout: timeout) {
            guard let owner = try await self.owner(c, "vm1") else { return false }
            return await c.hostsMounting(mountPoint) == [owner]
        }
        return mountPoint
    }

    func testHungGuestIsRestartedInPlaceThroughItsGuestAgent() async throws {
        try await withCluster { c in
            // The HA wizard checks the VM against every host (each one's libvirt capabilities and
            // marker in shared storage, as published by its agent): one too big for any is refused.
            do {
                try await c.addVM("vm-huge", via: "h2", memoryMiB: 256 * 1024)
                XCTFail("a 256 GiB VM was accepted")
            } catch LabError.commandFailed(_, let status, let message) {
                XCTAssertEqual(status, 400)
                for host in ["h1", "h2", "h3"] { XCTAssertTrue(message.contains("\(host): has "), message) }
            }

            // The guest's OS hangs 20 s into its first boot: QEMU runs on, so libvirt sees nothing;
            // only the in-guest probe (its guest agent, armed by its first answer) can tell.
            try await c.addVM("vm-hang", via: "h1", hangAfterSeconds: 20)
            try await c.waitUntil("vm-hang online", timeout: 60) { try await self.owner(c, "vm-hang") != nil }
            let home = try await owner(c, "vm-hang")!
            _ = try await c.lab.waitForHeartbeat(of: "vm-hang", after: 0)
            try await c.waitUntil("vm-hang hung", timeout: 60) {
                c.lab.lastHeartbeat(of: "vm-hang").map { labNow() - $0.time > 1.5 } ?? false
            }
            let hung = try XCTUnwrap(c.lab.lastHeartbeat(of: "vm-hang"))
            XCTAssertEqual(hung.boot, 1)
            let hungQEMU = try XCTUnwrap(qemuPID("vm-hang"), "QEMU of the hung guest still runs")
            XCTAssertEqual(c.runningHosts(of: "vm-hang"), [home], "libvirt still reports the hung guest running")

            let next = try await c.lab.waitForHeartbeat(of: "vm-hang", after: hung.time + 0.5, timeout: 120)
            XCTAssertEqual(next.boot, 2, "the guest was restarted (a new boot), not resumed")
            XCTAssertEqual(c.runningHosts(of: "vm-hang"), [home], "restarted in place")
            XCTAssertNotEqual(qemuPID("vm-hang"), hungQEMU)
            let log = try String(contentsOfFile: c.log(home), encoding: .utf8)
            XCTAssertTrue(log.contains("HA guest failed its health probe") && log.contains("probe=guest-agent"),
                          "the agent names the guest agent probe as what found the failure")
            print(String(format: "hung guest on %@: last heartbeat → first heartbeat of its restart %.2f s",
                         home, next.time - hung.time))
        }
    }

    func testCrashedGuestIsRestartedInPlaceThenFailedOverPastTheThreshold() async throws {
        try await withCluster { c in
            try await c.addVM("vm1", via: "h1")
            try await c.waitUntil("vm1 online", timeout: 60) { try await self.owner(c, "vm1") != nil }
            let home = try await owner(c, "vm1")!
            _ = try await c.lab.waitForHeartbeat(of: "vm1", after: labNow())

            // 1. kill -9 of the guest's QEMU: looksAlive (libvirt event) → restart on the same host.
            let crash = Date()
            kill(try XCTUnwrap(qemuPID("vm1")), SIGKILL)
            try await c.waitUntil("vm1 restarted on \(home)", timeout: 60) { c.runningHosts(of: "vm1") == [home] && self.qemuPID("vm1") != nil }
            let restarted = c.seconds(since: crash)
            _ = try await c.lab.waitForHeartbeat(of: "vm1", after: crash.timeIntervalSince1970)
            print("restart in place on \(home): QEMU killed → running again \(restarted), → first heartbeat \(c.seconds(since: crash))")
            XCTAssertEqual(c.runningHosts(of: "vm1"), [home])

            // 2. A second crash within the restart period (threshold 1 in 15 min) → failover.
            try await c.waitUntil("vm1 online again", timeout: 30) { try await self.owner(c, "vm1") == home }
            let second = Date()
            kill(try XCTUnwrap(qemuPID("vm1")), SIGKILL)
            try await c.waitUntil("vm1 failed over away from \(home)", timeout: 90) {
                let hosts = c.runningHosts(of: "vm1")
                return hosts.count == 1 && hosts != [home]
            }
            let moved = c.seconds(since: second)
            _ = try await c.lab.waitForHeartbeat(of: "vm1", after: second.timeIntervalSince1970)
            print("failover past the restart threshold: \(home) → \(c.runningHosts(of: "vm1")[0]) running \(moved), first heartbeat \(c.seconds(since: second))")
        }
    }

    func testExclusiveVolumeIsMountedOnlyOnTheOwnerAndMovesWithItsGroup() async throws {
        try await withCluster { c in
            let mountPoint = try await addOnExclusiveVolume(c, timeout: 60)
            let first = try await owner(c, "vm1")!
            print("exclusive volume lun1 mounted on \(first) only")
            // Two crashes within the restart period: the group fails over, and the volume goes with it.
            for round in 1...2 {
                try await c.waitUntil("vm1 running before crash \(round)", timeout: 60) {
                    try await self.owner(c, "vm1") != nil && Lab.qemuPID(of: "vm1") != nil
                }
                kill(try XCTUnwrap(Lab.qemuPID(of: "vm1")), SIGKILL)
                try await Task.sleep(for: .seconds(1))
            }
            try await c.waitUntil("vm1 and lun1 together on another host", timeout: 90) {
                guard let owner = try await self.owner(c, "vm1"), owner != first else { return false }
                return await c.hostsMounting(mountPoint) == [owner] && c.runningHosts(of: "vm1") == [owner]
            }
            print("after failover: vm1 and lun1 on \(try await owner(c, "vm1")!), unmounted on \(first)")
        }
    }

    func testHostPowerLossRecoversEveryGuestExactlyOnce() async throws {
        try await withCluster { c in
            let vms = (1...5).map { "vm\($0)" }
            try await c.addOnline(vms)
            let placement = Dictionary(grouping: vms) { c.runningHosts(of: $0).first ?? "?" }
            let victim = placement.filter { $0.key != "h1" }.max { $0.value.count < $1.value.count }?.key ?? "h2"
            let victims = placement[victim] ?? []
            print("placement before power loss: \(placement.mapValues { $0.sorted() }); powering off \(victim) with \(victims)")
            let follower = try c.followEvents(via: "h1")
            try await Task.sleep(for: .seconds(1))
            let followedFrom = follower.decisions().count
            let (watch, loss) = try await c.powerOff(victim, watching: vms)
            try await c.waitUntil("\(victim) seen down", timeout: 30) {
                try await c.status(via: "h1").nodes.first { $0.name == victim }?.state == "down"
            }
            let detected = c.seconds(since: loss)
            try await c.waitUntil("every guest running on a survivor", timeout: 90) {
                vms.allSatisfy { vm in let h = c.runningHosts(of: vm); return h.count == 1 && h != [victim] }
            }
            let started = c.seconds(since: loss)
            // A beat stamped just after the loss may still be the dead guest's, in flight: wait for a new boot.
            var lastBefore: [String: Heartbeat] = [:]
            for vm in victims {
                lastBefore[vm] = try XCTUnwrap(c.lab.heartbeats(of: vm).last { $0.time < loss.timeIntervalSince1970 }, "\(vm) beat before the power loss")
                try await c.waitUntil("\(vm) heartbeating from a new boot", timeout: 90) {
                    c.lab.heartbeats(of: vm).contains { $0.time > loss.timeIntervalSince1970 && $0.boot != lastBefore[vm]!.boot }
                }
            }
            print("power loss of \(victim): detected (lease expired) \(detected), its \(victims.count) guest(s) running elsewhere \(started), all heartbeats back \(c.seconds(since: loss))")
            // `vigil events --follow`, started before the loss, printed the recovery as it was decided.
            let followed = follower.decisions()
            XCTAssertTrue(follower.stop(), "vigil events --follow kept following through the host failure")
            let during = followed.dropFirst(followedFrom)
            XCTAssertEqual(Set(followed.map(\.id)).count, followed.count, "no decision printed twice")
            for vm in victims {
                XCTAssertTrue(during.contains { $0.group == vm && $0.kind == "bring-online" && !$0.nodes.contains(victim) },
                              "events --follow showed \(vm) brought online on a survivor: \(during.map(EventsLine.init))")
            }
            print("vigil events --follow during the failure: \(during.count) decision(s): " + during.map { EventsLine($0).text }.joined(separator: "; "))
            for vm in victims {
                let last = lastBefore[vm]!
                let next = c.lab.heartbeats(of: vm).first { $0.time > loss.timeIntervalSince1970 && $0.boot != last.boot }!
                print("  \(vm): boot \(last.boot) → \(next.boot), heartbeat gap \(String(format: "%.2f", next.time - last.time)) s, now on \(c.runningHosts(of: vm))")
            }

            // The host comes back: its old domains stay stopped (not owned by it); nothing runs twice.
            try await c.lab.start(victim)
            try await c.startAgent(on: victim)
            try await c.waitUntil("\(victim) a member again", timeout: 60) {
                try await c.status(via: "h1").nodes.first { $0.name == victim }?.member == true
            }
            try await Task.sleep(for: .seconds(5))
            let duplicates = await watch.stop()
            XCTAssertEqual(duplicates, [:], "a guest ran on two hosts at once")
            for vm in vms { XCTAssertEqual(c.runningHosts(of: vm).count, 1, "\(vm) runs exactly once") }
            let back = try Connection(uri: try c.lab.host(victim).uri)
            for vm in victims {
                XCTAssertNil(try back.domainIfExists(name: vm), "\(victim) came back and left \(vm) undefined: it is owned elsewhere")
            }
        }
    }

    func testPartitionedHostSelfFencesAndItsGuestsRunElsewhereOnce() async throws {
        try await withCluster { c in
            let vms = ["vm1", "vm2"]
            try await c.addOnline(vms, possibleOwners: ["h2", "h3"])
            let victim = c.runningHosts(of: "vm1").first!
            let victims = vms.filter { c.runningHosts(of: $0) == [victim] }
            for vm in victims { _ = try await c.lab.waitForHeartbeat(of: vm, after: labNow() - 1, timeout: 90) }

            let watch = DuplicateWatch()
            watch.start(c, domains: vms)
            let cut = Date()
            try await c.partition(victim)
            print("partitioned \(victim), which runs \(victims)")
            try await c.waitUntil("\(victim) fenced itself (its guests stopped)", timeout: 30) {
                victims.allSatisfy { vm in !c.runningHosts(of: vm).contains(victim) }
            }
            let fenced = c.seconds(since: cut)
            try await c.waitUntil("its guests running on the other host", timeout: 90) {
                victims.allSatisfy { vm in let h = c.runningHosts(of: vm); return h.count == 1 && h != [victim] }
            }
            let moved = c.seconds(since: cut)
            for vm in victims { _ = try await c.lab.waitForHeartbeat(of: vm, after: cut.timeIntervalSince1970, timeout: 90) }
            print("partition of \(victim): self-fenced \(fenced) (lease TTL 5 s, margin 1.5 s), guests running elsewhere \(moved), heartbeats back \(c.seconds(since: cut))")
            XCTAssertTrue(c.tail(c.log(victim), lines: 400).contains("self-fence"), "the fenced host says so in its log")

            try await c.lab.heal(victim)
            try await c.waitUntil("\(victim) rejoined", timeout: 60) {
                try await c.status(via: "h1").nodes.first { $0.name == victim }?.member == true
            }
            try await Task.sleep(for: .seconds(5))
            let duplicates = await watch.stop()
            XCTAssertEqual(duplicates, [:], "a guest ran on two hosts at once")
            try await c.waitUntil("every guest running exactly once after the heal", timeout: 60) {
                vms.allSatisfy { c.runningHosts(of: $0).count == 1 }
            }
        }
    }

    func testDrainLiveMigratesEveryGuestAwayWithoutReboot() async throws {
        try await withCluster { c in
            let vms = ["vm1", "vm2"]
            try await c.addOnline(vms, possibleOwners: ["h2", "h3"])
            let host = c.runningHosts(of: "vm1").first!
            let moving = vms.filter { c.runningHosts(of: $0) == [host] }
            var boots: [String: Int] = [:]
            for vm in moving { boots[vm] = try await c.lab.waitForHeartbeat(of: vm, after: labNow(), timeout: 90).boot }

            let start = Date()
            let (status, body) = try await c.call("h1", .POST, AgentAPI.node(host, .drain))
            XCTAssertEqual(status, 202, String(decoding: body, as: UTF8.self))
            try await c.waitUntil("\(host) drained", timeout: 120) {
                let s = try await c.status(via: "h1")
                return s.nodes.first { $0.name == host }?.state == "paused" && moving.allSatisfy { vm in
                    let g = s.groups.first { $0.name == vm }
                    return g?.status == "online" && g?.nodes.first != host
                }
            }
            print("drain of \(host) (\(moving)): done in \(c.seconds(since: start))")
            let logs = c.lab.hosts.map { "--- \($0.name)\n" + c.tail(c.log($0.name), lines: 25) }.joined(separator: "\n")
            for vm in moving {
                XCTAssertEqual(c.runningHosts(of: vm).count, 1, logs)
                XCTAssertNotEqual(c.runningHosts(of: vm), [host], logs)
                let after = try await c.lab.waitForHeartbeat(of: vm, after: labNow(), timeout: 30)
                XCTAssertEqual(after.boot, boots[vm], "\(vm) moved live: the guest did not reboot")
                let gap = c.lab.largestGap(of: vm, from: start.timeIntervalSince1970, to: labNow())
                print("  \(vm): live, heartbeat gap \(String(format: "%.2f", gap?.seconds ?? 0)) s, now on \(c.runningHosts(of: vm))")
            }
            let resumed = try await c.call("h1", .POST, AgentAPI.node(host, .resume))
            XCTAssertEqual(resumed.status, 202)
            try await c.waitUntil("\(host) back in service", timeout: 30) {
                try await c.status(via: "h1").nodes.first { $0.name == host }?.state == "up"
            }
        }
    }

    func testKilledAgentLeavesItsGuestRunningAndResumesOwnership() async throws {
        try await withCluster { c in
            try await c.addVM("vm1", via: "h1")
            try await c.waitUntil("vm1 online", timeout: 60) { try await self.owner(c, "vm1") != nil }
            let home = try await owner(c, "vm1")!
            let before = try await c.lab.waitForHeartbeat(of: "vm1", after: labNow())
            let qemu = qemuPID("vm1")

            let killed = Date()
            c.killAgent(on: home)
            try await Task.sleep(for: .seconds(1))
            XCTAssertEqual(c.runningHosts(of: "vm1"), [home], "the guest outlives its agent")
            try await c.startAgent(on: home)
            try await Task.sleep(for: .seconds(8))  // past the old lease's TTL
            let via = c.lab.hosts.map(\.name).first { $0 != home }!
            let after = try await owner(c, "vm1", via: via)
            print("agent on \(home) killed and restarted: guest kept running; owner after \(c.seconds(since: killed)): \(after ?? "none")")
            XCTAssertEqual(after, home, "the restarted agent resumed ownership")
            XCTAssertEqual(qemuPID("vm1"), qemu, "the same QEMU: never restarted")
            let latest = try XCTUnwrap(c.lab.lastHeartbeat(of: "vm1"))
            XCTAssertEqual(latest.boot, before.boot, "the guest did not reboot")
            XCTAssertGreaterThan(latest.time, killed.timeIntervalSince1970 + 5, "heartbeats continued throughout")
        }
    }
}
