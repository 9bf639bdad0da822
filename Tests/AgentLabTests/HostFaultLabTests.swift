import AgentAPI
import Foundation
import LabSupport
import XCTest

/// Faults of one host's own parts on real libvirtd + QEMU hosts: libvirtd killed and restarted,
/// libvirtd hung (kill -STOP), shared storage read-only on that host alone. The guests' QEMU
/// processes are watched from /proc (`QemuWatch`), so the observer needs no libvirtd: never two
/// copies, and a guest the fault must not touch keeps its QEMU. Each test prints what it measured.
extension AgentLabTests {
    private func libvirtdPID(_ c: AgentCluster, _ host: String) throws -> Int32 {
        try XCTUnwrap(c.libvirtdPID(on: host), "libvirtd pid of \(host)")
    }

    /// The node as the cluster's status shows it, asked through another host's agent.
    private func node(_ c: AgentCluster, _ host: String, via: String) async throws -> NodeView? {
        try await c.status(via: via).nodes.first { $0.name == host }
    }

    /// Three guests online and beating, the host running most of them (the one to fault), its guests
    /// there, another host to ask, each guest's boot and a watch on their QEMU processes.
    private struct Scene {
        let vms = ["vm1", "vm2", "vm3"]
        var before: [String: (host: String, qemu: Int32?)] = [:]
        var host = "", via = ""
        var victims: [String] = []
        var boots: [String: Int] = [:]
        var watch: QemuWatch?
    }

    private func scene(_ c: AgentCluster) async throws -> Scene {
        var s = Scene()
        try await c.addOnline(s.vms)
        s.before = snapshot(c, s.vms)
        s.host = Dictionary(grouping: s.vms) { s.before[$0]!.host }.max { $0.value.count < $1.value.count }!.key
        s.victims = s.vms.filter { s.before[$0]!.host == s.host }
        s.via = c.lab.hosts.map(\.name).first { $0 != s.host }!
        for vm in s.vms { s.boots[vm] = try await c.lab.waitForHeartbeat(of: vm, after: labNow() - 1).boot }
        s.watch = QemuWatch(domains: s.vms)
        return s
    }

    /// Every guest keeps the QEMU it had: nothing was stopped or restarted (from /proc: no libvirtd asked).
    private func assertSameQEMU(_ before: [String: (host: String, qemu: Int32?)], _ when: String) {
        for (vm, was) in before.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(Lab.qemuPIDs(of: vm), was.qemu.map { [$0] } ?? [], "\(vm) kept its one QEMU (\(when))")
        }
    }

    private func assertNoneFailed(_ c: AgentCluster, via: String) async throws {
        let groups = try await c.status(via: via).groups
        XCTAssertEqual(groups.filter { $0.status == "failed" }.map(\.name), [], "no group failed")
    }

    /// Waits until the cluster shows `host` impaired for a reason containing `problem`; returns how long after `since`.
    private func waitImpaired(_ c: AgentCluster, _ host: String, via: String, _ problem: String, since: Date, timeout: Double) async throws -> String {
        try await c.waitUntil("\(host) reported impaired (\(problem))", timeout: timeout) {
            try await self.node(c, host, via: via)?.impairment?.contains(problem) == true
        }
        return c.seconds(since: since)
    }

    /// Waits until `host` is a member able to host groups again, then past a reconcile: no group
    /// failed and no guest ran twice. Returns how long it took to become able.
    private func waitAble(_ c: AgentCluster, _ host: String, via: String, _ watch: QemuWatch, _ what: String) async throws -> String {
        let since = Date()
        XCTAssertTrue(c.agentRuns(on: host), "the agent on \(host) lived through the fault: \(c.tail(c.log(host), lines: 30))")
        try await c.waitUntil("\(host) able again (\(what))", timeout: 60) {
            try await self.node(c, host, via: via).map { $0.member && $0.impairment == nil } == true
        }
        let able = c.seconds(since: since)
        try await Task.sleep(for: .seconds(5))  // past a reconcile of the host: it restarts nothing that runs
        try await assertNoneFailed(c, via: via)
        XCTAssertEqual(watch.stop(), [:], "a guest ran twice")
        return able
    }

    func testLibvirtdKilledAndRestartedStopsNoGuest() async throws {
        try await withCluster { c in
            let s = try await scene(c)
            let (vms, before, host, victims, via, watch) = (s.vms, s.before, s.host, s.victims, s.via, s.watch!)

            let killed = Date()
            kill(try libvirtdPID(c, host), SIGKILL)
            let impaired = try await waitImpaired(c, host, via: via, "libvirtd", since: killed, timeout: 30)
            let alerts = try await c.status(via: via).alerts ?? []
            XCTAssertTrue(alerts.contains { $0.message.contains("\(host) cannot host groups now") }, "status alerts: \(alerts.map(\.message))")
            try await Task.sleep(for: .seconds(8))  // probe rounds and reconciles go on meanwhile: none may act
            assertSameQEMU(before, "libvirtd of \(host) dead for \(c.seconds(since: killed))")

            _ = try await c.lab.exec(host, ["libvirtd", "-d", "--listen"])
            let able = try await waitAble(c, host, via: via, watch, "libvirtd back, reconnected")
            let log = (try? String(contentsOfFile: c.log(host), encoding: .utf8)) ?? ""
            XCTAssertTrue(log.contains("connection to libvirtd lost"), "the agent saw the loss")
            XCTAssertTrue(log.contains("connection to libvirtd back"), "the agent reconnected")
            assertUntouched(c, before, "after libvirtd of \(host) came back")
            for vm in vms {
                let latest = try await c.lab.waitForHeartbeat(of: vm, after: labNow() - 1)
                XCTAssertEqual(latest.boot, s.boots[vm], "\(vm) never rebooted")
            }
            print("libvirtd of \(host) killed (\(victims) run there): host impaired \(impaired) after the kill; libvirtd started again, "
                  + "host able \(able) after; no guest stopped, restarted or duplicated")
        }
    }

    func testHungLibvirtdMakesItsHostTakeNoGroupsAndStopsNoGuest() async throws {
        try await withCluster { c in
            let s = try await scene(c)
            let (vms, before, host, victims, via, watch) = (s.vms, s.before, s.host, s.victims, s.via, s.watch!)
            let pid = try libvirtdPID(c, host)

            let stopped = Date()
            kill(pid, SIGSTOP)
            var continued = false
            defer { if !continued { kill(pid, SIGCONT) } }
            let impaired = try await waitImpaired(c, host, via: via, "libvirtd", since: stopped, timeout: 45)
            // An operator's move to the hung host is refused, with the reason; the group stays where it runs.
            let elsewhere = vms.first { before[$0]!.host != host }
            if let vm = elsewhere {
                let move = try await c.vigilOffThePool(via, ["group", "move", vm, "--to", host])
                XCTAssertNotEqual(move.status, 0, "a move to a host that cannot host groups fails: \(move.out) \(move.err)")
                XCTAssertTrue((move.out + move.err).contains("impaired"), "the refusal says why: \(move.out) \(move.err)")
                XCTAssertEqual(Lab.qemuPIDs(of: vm), before[vm]!.qemu.map { [$0] } ?? [], "\(vm) stays where it runs")
            }
            try await Task.sleep(for: .seconds(5))
            assertSameQEMU(before, "libvirtd of \(host) hung for \(c.seconds(since: stopped))")

            kill(pid, SIGCONT)
            continued = true
            let able = try await waitAble(c, host, via: via, watch, "libvirtd answers")
            assertUntouched(c, before, "after libvirtd of \(host) answered again")
            print("libvirtd of \(host) hung by kill -STOP (\(victims) run there): host impaired \(impaired) after; "
                  + "move to it refused; resumed, host able \(able) after; no guest stopped, restarted or duplicated")
        }
    }

    func testSharedStorageReadOnlyOnOneHostMovesItsGroupsWhereStorageWorks() async throws {
        try await withCluster { c in
            let s = try await scene(c)
            let (vms, before, host, victims, via, watch) = (s.vms, s.before, s.host, s.victims, s.via, s.watch!)
            let others = vms.filter { !victims.contains($0) }

            // Read-only in the host's own mount namespace only: the other hosts' storage keeps working.
            let shared = c.lab.sharedStorage
            let broke = Date()
            _ = try await c.lab.exec(host, ["/bin/sh", "-c", "mount --bind \(shared) \(shared) && mount -o remount,bind,ro \(shared)"])
            let impaired = try await waitImpaired(c, host, via: via, "shared storage", since: broke, timeout: 60)
            try await c.waitUntil("\(victims) online on hosts whose storage works", timeout: 120) {
                let s = try await c.status(via: via)
                return victims.allSatisfy { vm in
                    s.groups.first { $0.name == vm }.map { $0.status == "online" && !$0.nodes.isEmpty && !$0.nodes.contains(host) } ?? false
                }
            }
            let moved = c.seconds(since: broke)
            for vm in victims {
                XCTAssertEqual(Lab.qemuPIDs(of: vm).count, 1, "\(vm) runs once")
                XCTAssertFalse(c.runningHosts(of: vm).contains(host), "\(vm) no longer runs on \(host)")
                _ = try await c.lab.waitForHeartbeat(of: vm, after: labNow() - 1, timeout: 120)
            }
            for vm in others {
                XCTAssertEqual(c.runningHosts(of: vm), [before[vm]!.host], "\(vm), elsewhere, stays")
                XCTAssertEqual(Lab.qemuPID(of: vm), before[vm]!.qemu, "\(vm) kept its QEMU")
            }
            _ = try await c.lab.exec(host, ["umount", shared])
            let healed = try await waitAble(c, host, via: via, watch, "storage writable")
            print("shared storage read-only on \(host) (\(victims) ran there): host impaired \(impaired) after, its groups online "
                  + "elsewhere \(moved) after; writable again, host able \(healed) later; \(others) untouched, no guest duplicated")
        }
    }
}

/// Samples every guest's QEMU processes from /proc every 50 ms while a scenario runs: an observer
/// that needs no libvirtd (one host's may be dead or hung). Two QEMU processes of a guest at once
/// are two copies (these tests migrate nothing).
final class QemuWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var worst: [String: [Int32]] = [:]
    private var running = true
    private var thread: Thread?

    init(domains: [String]) {
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                for d in domains {
                    let pids = Lab.qemuPIDs(of: d)
                    lock.withLock { if pids.count > (worst[d]?.count ?? 0) { worst[d] = pids } }
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        self.thread = thread
        thread.start()
    }

    /// Stops sampling and returns every guest seen with more than one QEMU, with their PIDs.
    func stop() -> [String: [Int32]] {
        lock.withLock { running = false }
        Thread.sleep(forTimeInterval: 0.1)
        return lock.withLock { worst.filter { $0.value.count > 1 } }
    }
}
