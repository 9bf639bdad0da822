import AgentAPI
import Foundation
import LabSupport
import Libvirt
import XCTest

/// Proof of death on real libvirtd + QEMU hosts and a real etcd: an agent outage or an upgrade stops no
/// healthy guest, a cut-off host powers its guests off before its lease can expire, and a dead host's
/// guests start elsewhere exactly once, proved dead by a fence device or by its watchdog. Every claim
/// is checked by observers independent of the agents (each host's libvirtd, etcd, the guests'
/// heartbeats); each test prints what it measured.
extension AgentLabTests {
    /// Where each guest runs and its QEMU, as the hosts' libvirtd and /proc see it.
    func snapshot(_ c: AgentCluster, _ vms: [String]) -> [String: (host: String, qemu: Int32?)] {
        Dictionary(uniqueKeysWithValues: vms.map { ($0, (c.runningHosts(of: $0).first ?? "none", Lab.qemuPID(of: $0))) })
    }

    /// Every guest still runs where it ran, in the same QEMU (never stopped, never restarted).
    func assertUntouched(_ c: AgentCluster, _ before: [String: (host: String, qemu: Int32?)], _ when: String) {
        for (vm, was) in before.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(c.runningHosts(of: vm), [was.host], "\(vm) runs only where it ran (\(when))")
            XCTAssertEqual(Lab.qemuPID(of: vm), was.qemu, "\(vm) kept its QEMU: never stopped or restarted (\(when))")
        }
    }

    private func groupStatuses(_ c: AgentCluster, via host: String) async throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try await c.status(via: host).groups.map { ($0.name, $0.status) })
    }

    func testAgentKilledForLongerThanItsLeaseStopsAndFailsNoGuest() async throws {
        try await withCluster { c in
            let vms = ["vm1", "vm2", "vm3"]
            try await c.addOnline(vms)
            let before = snapshot(c, vms)
            let host = Dictionary(grouping: vms) { before[$0]!.host }.max { $0.value.count < $1.value.count }!.key
            let victims = vms.filter { before[$0]!.host == host }
            let via = c.lab.hosts.map(\.name).first { $0 != host }!
            var boots: [String: Int] = [:]
            for vm in vms { boots[vm] = try await c.lab.waitForHeartbeat(of: vm, after: labNow() - 1).boot }
            let watch = DuplicateWatch()
            watch.start(c, domains: vms)

            let killed = Date()
            c.killAgent(on: host)
            try await c.waitUntil("\(host) seen down", timeout: 30) {
                try await c.status(via: via).nodes.first { $0.name == host }?.state == "down"
            }
            let down = c.seconds(since: killed)
            // Its lease expired and the margin passed: starts elsewhere are tried, and refused by the disk locks.
            try await c.waitUntil("\(victims) locked, presumably running on \(host)", timeout: 40) {
                let s = try await self.groupStatuses(c, via: via)
                return victims.allSatisfy { s[$0] == "locked" }
            }
            let locked = c.seconds(since: killed)
            try await Task.sleep(for: .seconds(12))  // several refused retries (every 5 s)
            let during = try await c.status(via: via)
            for vm in victims {
                let g = during.groups.first { $0.name == vm }
                XCTAssertEqual(g?.status, "locked", "\(vm) is neither failed nor started elsewhere")
                XCTAssertEqual(g?.nodes, [host], "\(vm) is shown where it runs")
                XCTAssertTrue(g?.note?.contains("its agent is unreachable") == true, "status says why: \(g?.note ?? "no note")")
            }
            assertUntouched(c, before, "agent dead for \(c.seconds(since: killed))")
            let survivors = c.lab.hosts.map(\.name).filter { $0 != host }
            let logs = survivors.map { (try? String(contentsOfFile: c.log($0), encoding: .utf8)) ?? "" }.joined()
            XCTAssertTrue(logs.contains("libvirtd answers"), "the leader saw the host alive and killed nothing")
            XCTAssertFalse(logs.contains("node fenced"), "no host was fenced")

            try await c.startAgent(on: host)
            try await c.waitUntil("\(victims) online on \(host) again", timeout: 60) {
                let s = try await c.status(via: via)
                return victims.allSatisfy { vm in s.groups.first { $0.name == vm }.map { $0.status == "online" && $0.nodes == [host] } ?? false }
            }
            let adopted = c.seconds(since: killed)
            assertUntouched(c, before, "after the agent came back")
            for vm in vms {
                let latest = try await c.lab.waitForHeartbeat(of: vm, after: labNow() - 1)
                XCTAssertEqual(latest.boot, boots[vm], "\(vm) never rebooted")
            }
            let statuses = try await groupStatuses(c, via: via)
            XCTAssertFalse(statuses.values.contains("failed"), "\(statuses)")
            let duplicates = await watch.stop()
            XCTAssertEqual(duplicates, [:], "a guest ran on two hosts at once")
            print("agent of \(host) killed (\(victims) run there): seen down \(down), locked (starts elsewhere refused, not counted) \(locked), "
                  + "agent started again 12 s later, guests adopted \(adopted) after the kill; no guest stopped, restarted or failed")
        }
    }

    func testRestartingEveryAgentAtOnceOrOneByOneRestartsNoGuest() async throws {
        try await withCluster { c in
            let vms = ["vm1", "vm2", "vm3"]
            try await c.addOnline(vms)
            let before = snapshot(c, vms)
            let hosts = c.lab.hosts.map(\.name)
            let watch = DuplicateWatch()
            watch.start(c, domains: vms)
            func allBack(_ what: String) async throws {
                try await c.waitUntil("\(what): a leader, every node a member, every guest online where it ran", timeout: 90) {
                    let s = try await c.status(via: "h1")
                    return s.leader != nil && s.nodes.filter(\.member).count == hosts.count && vms.allSatisfy { vm in
                        s.groups.first { $0.name == vm }.map { $0.status == "online" && $0.nodes == [before[vm]!.host] } ?? false
                    }
                }
            }

            // 1. An upgrade of every host at once: SIGTERM every agent, wait past their leases, start them all.
            let t0 = Date()
            for h in hosts { await c.stopAgent(on: h) }
            try await Task.sleep(for: .seconds(8))
            for h in hosts { try await c.startAgent(on: h) }
            try await allBack("all agents restarted at once")
            print("all \(hosts.count) agents stopped for 8 s (past their 5 s leases) and started again: every guest online where it ran \(c.seconds(since: t0)) after the stop")
            assertUntouched(c, before, "after restarting every agent at once")

            // 2. A rolling upgrade: one agent after the other, each down for longer than its lease.
            for h in hosts {
                let t = Date()
                await c.stopAgent(on: h)
                try await Task.sleep(for: .seconds(7))
                try await c.startAgent(on: h)
                try await allBack("\(h) restarted")
                print("  \(h) stopped for 7 s and started again: every guest online where it ran \(c.seconds(since: t)) after the stop")
                assertUntouched(c, before, "after restarting \(h)")
            }
            let statuses = try await groupStatuses(c, via: "h1")
            XCTAssertFalse(statuses.values.contains("failed"), "\(statuses)")
            let duplicates = await watch.stop()
            XCTAssertEqual(duplicates, [:], "a guest ran on two hosts at once")
        }
    }

    func testIsolatedHostPowersOffFiveGuestsBeforeItsLeaseCanExpire() async throws {
        try await withCluster { c in
            let vms = (1...5).map { "iso\($0)" }
            for vm in vms { try await c.addVM(vm, via: "h1", possibleOwners: ["h2"]) }
            try await c.waitUntil("\(vms) running on h2", timeout: 180) {
                vms.allSatisfy { c.runningHosts(of: $0) == ["h2"] }
            }
            // Observers outside the agents: h2's libvirtd (its unix socket still answers when cut off) and
            // the etcd majority on the other side (h2's record goes when its lease expires).
            let cut = Date()
            try await c.partition("h2")
            var gone: Double?, expired: Double?
            while Date().timeIntervalSince(cut) < 30 && (gone == nil || expired == nil) {
                if gone == nil, vms.allSatisfy({ !c.runningHosts(of: $0).contains("h2") }) { gone = Date().timeIntervalSince(cut) }
                if expired == nil, await c.memberRecordExists("h2") == false { expired = Date().timeIntervalSince(cut) }
                try await Task.sleep(for: .milliseconds(20))
            }
            let log = c.tail(c.log("h2"), lines: 200)
            let fenceLine = log.split(separator: "\n").last { $0.contains("every HA domain powered off") }.map(String.init) ?? "(none)"
            print(String(format: "h2 cut off with 5 guests: every domain gone after %.2f s, its lease expired (etcd) after %.2f s: met by %.2f s; agent: %@",
                         gone ?? -1, expired ?? -1, (expired ?? 0) - (gone ?? 0), fenceLine))
            let g = try XCTUnwrap(gone, "h2's guests were still running 30 s after the cut")
            let e = try XCTUnwrap(expired, "h2's lease had not expired 30 s after the cut")
            XCTAssertLessThan(g, e, "every HA domain of the cut-off host was gone before its lease expired in etcd")
            try await c.lab.heal("h2")
        }
    }

    func testPowerOffWithAFenceDeviceStartsEveryGuestElsewhereOnce() async throws {
        try await withCluster(fenceDevices: true) { c in
            let vms = (1...4).map { "vm\($0)" }
            try await c.addOnline(vms)
            let status = try await c.status(via: "h1")
            // The host that leads Vigil, made etcd's leader too: the worst case of both.
            let victim = try XCTUnwrap(status.leader)
            try await c.lab.moveEtcdLeader(to: victim)
            try await c.waitUntil("etcd led by \(victim)", timeout: 10) { try await c.lab.etcdLeader() == victim }
            let stillLeads = try await c.status(via: "h1").leader
            XCTAssertEqual(stillLeads, victim, "Vigil's leader stays through etcd's leader change")
            let victims = vms.filter { c.runningHosts(of: $0) == [victim] }
            let survivors = c.lab.hosts.map(\.name).filter { $0 != victim }
            let offsets = c.logOffsets()
            let (watch, loss) = try await c.powerOff(victim, watching: vms)
            let r = await c.measureRecovery(of: victim, guests: victims, lostAt: loss, logsFrom: offsets)
            XCTAssertEqual(r.running.count, victims.count, "every guest of \(victim) runs on a survivor")
            XCTAssertEqual(r.heartbeat.count, victims.count, "every guest of \(victim) beats again from a new boot")
            let logs = c.lab.hosts.filter { $0.name != victim }.map { c.tail(c.log($0.name), lines: 400) }.joined(separator: "\n")
            XCTAssertTrue(logs.contains("node fenced") && logs.contains("fenced by level 1"), "the fence device confirmed the power-off")
            print(String(format: "power-off of %@ (Vigil's and etcd's leader, with %@), fence device: suspected by its peers %.2f s, fenced %.2f s, every guest running elsewhere %.2f s, heartbeats back %.2f s",
                         victim, "\(victims)", r.suspected ?? -1, r.fenced ?? -1, r.allRunning ?? -1, r.allBeating ?? -1))
            for other in survivors {
                XCTAssertFalse(logs.contains("node=\(other) proof="), "\(other), a healthy host, was fenced")
            }
            let after = try await c.status(via: survivors[0])
            for vm in victims {
                let recovery = after.groups.first { $0.name == vm }?.lastRecovery ?? "none"
                XCTAssertTrue(recovery.contains("from \(victim)") && recovery.contains("fenced (proven)"), "status shows the recovery: \(recovery)")
                print("  \(vm): last recovery \(recovery)")
            }
            // The new leader exports the recovery as histograms, up to the guests' first probe answer.
            let leader = try XCTUnwrap(after.leader)
            var page = ""
            try await c.waitUntil("the first probe of \(victims) in \(leader)'s metrics", timeout: 60) {
                page = try await c.metrics(on: leader)
                return page.contains("vigil_recovery_first_probe_seconds_count{proof=\"proven\"} \(victims.count)\n")
            }
            for phase in ["fence", "start", "online"] {
                XCTAssertTrue(page.contains("vigil_recovery_\(phase)_seconds_count{proof=\"proven\"} \(victims.count)\n"), page)
            }
            print("  \(leader)'s /metrics: " + page.split(separator: "\n").filter { $0.hasPrefix("vigil_recovery_") && !$0.contains("_bucket") }
                .joined(separator: ", "))
            let duplicates = await watch.stop()
            XCTAssertEqual(duplicates, [:], "a guest ran on two hosts at once")
            for vm in vms { XCTAssertEqual(c.runningHosts(of: vm).count, 1, "\(vm) runs exactly once") }
        }
    }

    func testHungAgentIsResetByItsWatchdogAndItsGuestsRunElsewhereOnce() async throws {
        try await withCluster(watchdogSeconds: 3) { c in
            let vms = ["vm1", "vm2"]
            try await c.addOnline(vms, possibleOwners: ["h2", "h3"])
            let victim = c.runningHosts(of: "vm1").first!
            let victims = vms.filter { c.runningHosts(of: $0) == [victim] }
            let watch = DuplicateWatch()
            watch.start(c, domains: vms)

            let hung = Date()
            c.signalAgent(on: victim, SIGSTOP)  // a hung agent: its host runs on, nobody pets the watchdog
            try await c.waitUntil("\(victim) powered off by its watchdog", timeout: 30) {
                (try? String(contentsOfFile: c.lab.watchdogLog(victim), encoding: .utf8))?.contains("fired") == true
            }
            let reset = c.seconds(since: hung)
            c.agentDied(on: victim)
            try await c.waitUntil("\(victims) running on the other host", timeout: 90) {
                victims.allSatisfy { vm in let h = c.runningHosts(of: vm); return h.count == 1 && h != [victim] }
            }
            let moved = c.seconds(since: hung)
            print("agent of \(victim) stopped (SIGSTOP): its watchdog (3 s) reset the host after \(reset), \(victims) running elsewhere after \(moved)")
            let duplicates = await watch.stop()
            XCTAssertEqual(duplicates, [:], "a guest ran on two hosts at once")
        }
    }
}

extension AgentLabTests {
    func testCutOffHostWithAHungLibvirtdStillKillsItsGuestsBeforeItsLeaseCanExpire() async throws {
        try await withCluster { c in
            let vms = ["hung1", "hung2"]
            for vm in vms { try await c.addVM(vm, via: "h1", possibleOwners: ["h2"]) }
            try await c.waitUntil("\(vms) running on h2", timeout: 120) { vms.allSatisfy { c.runningHosts(of: $0) == ["h2"] } }
            let qemus = vms.compactMap { Lab.qemuPID(of: $0) }
            XCTAssertEqual(qemus.count, vms.count)
            // h2's libvirtd hangs (SIGSTOP): every libvirt call of its agent blocks. Then h2 is cut off.
            let libvirtd = try XCTUnwrap(Int32(try String(contentsOfFile: try c.runDirectory("h2") + "/libvirtd.pid", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)))
            kill(libvirtd, SIGSTOP)
            defer { kill(libvirtd, SIGCONT) }
            let cut = Date()
            try await c.partition("h2")
            // Observers: the guests' QEMU processes (/proc) and the etcd majority (h2's record).
            var gone: Double?, expired: Double?
            while Date().timeIntervalSince(cut) < 30 && (gone == nil || expired == nil) {
                if gone == nil, qemus.allSatisfy({ kill($0, 0) != 0 }) { gone = Date().timeIntervalSince(cut) }  // reaped at once by the host's init
                if expired == nil, await c.memberRecordExists("h2") == false { expired = Date().timeIntervalSince(cut) }
                try await Task.sleep(for: .milliseconds(20))
            }
            print(String(format: "h2 cut off with its libvirtd hung: its guests' QEMUs gone after %.2f s, its lease expired (etcd) after %.2f s",
                         gone ?? -1, expired ?? -1))
            let g = try XCTUnwrap(gone, "QEMU of h2's guests still running 30 s after the cut, with libvirtd hung")
            let e = try XCTUnwrap(expired, "h2's lease had not expired 30 s after the cut")
            XCTAssertLessThan(g, e, "the guests were killed without libvirt, before the lease expired")
            kill(libvirtd, SIGCONT)
            try await c.lab.heal("h2")
        }
    }

    /// A fence device that hangs is given up at its timeout and the next level fences; devices that
    /// all fail leave the lease path. Either way every guest runs elsewhere exactly once.
    func testAHangingFenceDeviceFallsToTheNextLevel() async throws {
        try await withCluster(fenceLevels: ["hang", nil]) { c in
            let (victim, victims, r, logs) = try await powerOffTheBusiestHost(c)
            XCTAssertTrue(logs.contains("fenced by level 2"), "level 2 confirmed the power-off after level 1 hung")
            print(String(format: "power-off of %@ (%@), fence level 1 hangs (2 s timeout), level 2 works: suspected %.2f s, "
                         + "fenced %.2f s, every guest running elsewhere %.2f s", victim, "\(victims)",
                         r.suspected ?? -1, r.fenced ?? -1, r.allRunning ?? -1))
            let after = try await c.status(via: c.lab.hosts.map(\.name).first { $0 != victim }!)
            for vm in victims {
                // Level 2 confirms after level 1's 2 s timeout and retry, about when the lost lease and its
                // margin also prove the death: the recovery credits whichever came first, and says which.
                let recovery = after.groups.first { $0.name == vm }?.lastRecovery ?? "none"
                XCTAssertTrue(recovery.contains("fenced (proven)") || recovery.contains("fenced (lease and margin)"), recovery)
                print("[fence] \(vm): \(recovery)")
            }
        }
    }

    func testFailingFenceDevicesLeaveTheLeasePath() async throws {
        try await withCluster(fenceLevels: ["fail"]) { c in
            let (victim, victims, r, logs) = try await powerOffTheBusiestHost(c)
            XCTAssertFalse(logs.contains("node=\(victim) proof="), "no proof of death without a working device")
            print(String(format: "power-off of %@ (%@), its only fence device fails: every guest running elsewhere %.2f s "
                         + "(lease 5 s and fencing margin 1 s)", victim, "\(victims)", r.allRunning ?? -1))
            let after = try await c.status(via: c.lab.hosts.map(\.name).first { $0 != victim }!)
            for vm in victims {
                let recovery = after.groups.first { $0.name == vm }?.lastRecovery ?? "none"
                XCTAssertTrue(recovery.contains("lease and margin"), recovery)
            }
        }
    }

    /// Three guests online, then the host running most of them powered off: every one of them must
    /// run on a survivor, none twice. Returns the host, its guests, the recovery and the survivors' logs.
    private func powerOffTheBusiestHost(_ c: AgentCluster) async throws -> (String, [String], Recovery, String) {
        let vms = ["vm1", "vm2", "vm3"]
        try await c.addOnline(vms)
        let placement = Dictionary(grouping: vms) { c.runningHosts(of: $0).first ?? "?" }
        let victim = placement.filter { $0.key != "?" }.max { ($0.value.count, $1.key) < ($1.value.count, $0.key) }!.key
        let victims = placement[victim]!
        let offsets = c.logOffsets()
        let (watch, loss) = try await c.powerOff(victim, watching: vms)
        let r = await c.measureRecovery(of: victim, guests: victims, lostAt: loss, logsFrom: offsets, timeout: 60)
        XCTAssertEqual(r.running.count, victims.count, "every guest of \(victim) runs on a survivor")
        let duplicates = await watch.stop()
        XCTAssertEqual(duplicates, [:], "a guest ran on two hosts at once")
        for vm in vms { XCTAssertEqual(c.runningHosts(of: vm).count, 1, "\(vm) runs exactly once") }
        let logs = c.lab.hosts.filter { $0.name != victim }.map { c.log($0.name, after: offsets[$0.name] ?? 0) }.joined(separator: "\n")
        return (victim, victims, r, logs)
    }
}
