import AgentAPI
import Foundation
import LabSupport
import Libvirt
import XCTest

/// Random faults, one after another, on a 3-host lab with fence devices: power loss, partition, the
/// agent killed or hung, libvirtd killed, a guest crashed or hung, an etcd member or etcd's leader
/// killed, some with a move or a drain requested during the fault (`ChaosSchedule`). After each fault is undone
/// the cluster must settle: every host a member, every group online, each guest running on exactly
/// one host and beating. Throughout, observers outside the agents check that no guest ever ran twice:
/// every host's libvirtd polled every 50 ms (`RunningCopiesWatch`), and the guests' own heartbeats
/// (a guest's boots never interleave).
/// At the end no stored domain XML changed. `make chaos SEED=… RUNS=… STEPS=…` replays or extends it;
/// a failure prints the seed and the schedule.
extension AgentLabTests {
    private static let chaosVMs = ["vm1", "vm2", "vm3"]

    func testChaos() async throws {
        let environment = ProcessInfo.processInfo.environment
        let runs = environment["VIGIL_CHAOS_RUNS"].flatMap(Int.init) ?? 1
        let steps = environment["VIGIL_CHAOS_STEPS"].flatMap(Int.init) ?? 3
        let firstSeed = environment["VIGIL_CHAOS_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...999_999)
        for run in 0..<runs {
            let seed = firstSeed &+ UInt64(run)
            let schedule = ChaosSchedule(seed: seed, steps: steps, hosts: ["h1", "h2", "h3"], vms: Self.chaosVMs)
            print("[chaos] run \(run + 1) of \(runs): \(schedule) (replay: make chaos SEED=\(seed))")
            let failuresBefore = testRun?.failureCount ?? 0
            try await withCluster(fenceDevices: true) { c in try await self.play(schedule, on: c) }
            if (testRun?.failureCount ?? 0) > failuresBefore {
                XCTFail("chaos run failed: \(schedule); replay with make chaos SEED=\(seed) STEPS=\(steps)")
                return
            }
        }
    }

    private func play(_ schedule: ChaosSchedule, on c: AgentCluster) async throws {
        try await c.addOnline(Self.chaosVMs, failover: "100/1h")  // many faults fail guests over: no budget runs out
        try await settled(c, after: "the start", since: Date())
        let xml = c.storedXML()
        let watch = RunningCopiesWatch(hosts: c.lab.hosts.map { ($0.name, $0.uri) }, domains: Self.chaosVMs)
        defer { _ = watch.stop() }  // its threads end also when a step fails
        let started = Date()
        for (i, step) in schedule.steps.enumerated() {
            let began = Date()
            let applied = try await apply(step.fault, on: c)
            if let operation = step.operation { await request(operation, via: applied.via, on: c) }
            try await Task.sleep(for: .seconds(step.holdSeconds))
            try await undo(step.fault, applied, on: c)
            if case .drain(let h) = step.operation { await resume(h, on: c) }
            let undone = Date()
            try await settled(c, after: "step \(i + 1) (\(step))", since: undone, via: applied.via)
            print("[chaos] step \(i + 1) \(step): settled \(c.seconds(since: undone)) after it was undone (\(c.seconds(since: began)) in all)")
        }
        let (doubles, samples) = watch.stop()
        print("[chaos] \(samples) samples of the hosts' libvirtd in \(c.seconds(since: started)) (every 50 ms per host while it answers)")
        XCTAssertEqual(doubles, [], "a guest ran on two hosts at once (every host's libvirtd polled)")
        for vm in Self.chaosVMs {
            let interleaved = Self.interleavedBoots(c.lab.heartbeats(of: vm))
            XCTAssertNil(interleaved, "\(vm) beat from an older boot after a newer one: two copies ran (\(interleaved ?? ""))")
        }
        XCTAssertEqual(c.storedXML(), xml, "every stored domain XML is as it was")
    }

    /// What applying a fault left to undo, and a host whose agent to ask meanwhile (another than the faulted one).
    private struct Applied {
        var via: String
        /// The etcd member killed (the leader is known only when the step begins).
        var etcdMember: String?
        /// The QEMU process stopped.
        var stoppedQEMU: Int32?
    }

    private func apply(_ fault: ChaosSchedule.Fault, on c: AgentCluster) async throws -> Applied {
        let hosts = c.lab.hosts.map(\.name)
        func other(_ h: String) -> String { hosts.first { $0 != h }! }
        switch fault {
        case .powerOff(let h): try await c.kill(h); return Applied(via: other(h))
        case .partition(let h): try await c.partition(h); return Applied(via: other(h))
        case .killAgent(let h): c.killAgent(on: h); return Applied(via: other(h))
        case .hangAgent(let h): c.signalAgent(on: h, SIGSTOP); return Applied(via: other(h))
        case .killLibvirtd(let h):
            c.faulted(h)
            if let pid = c.libvirtdPID(on: h) { kill(pid, SIGKILL) }
            return Applied(via: other(h))
        case .crashGuest(let vm):
            if let pid = Lab.qemuPID(of: vm) { kill(pid, SIGKILL) }
            return Applied(via: "h1")
        case .hangGuest(let vm):
            let pid = Lab.qemuPID(of: vm)
            if let pid { kill(pid, SIGSTOP) }
            return Applied(via: "h1", stoppedQEMU: pid)
        case .killEtcdMember(let h):
            try await c.lab.killEtcdMember(h)
            return Applied(via: other(h), etcdMember: h)
        case .killEtcdLeader:
            guard let h = try await c.lab.etcdLeader() else {
                XCTFail("no etcd member leads at the start of the step")
                return Applied(via: "h1")
            }
            print("[chaos] etcd's leader member is on \(h)")
            try await c.lab.killEtcdMember(h)
            return Applied(via: other(h), etcdMember: h)
        }
    }

    /// Makes an operator's request during a fault. The cluster may refuse it (no leader, the group
    /// moving, the host unreachable): the answer is printed, never required.
    private func request(_ operation: ChaosSchedule.Operation, via: String, on c: AgentCluster) async {
        let arguments = switch operation {
        case .move(let vm): ["group", "move", vm, "--no-wait"]
        case .drain(let h): ["node", "drain", h, "--no-wait"]
        }
        let answer = try? await c.vigilOffThePool(via, arguments)
        let text = answer.map { "exit \($0.status): " + ($0.out + $0.err).split(separator: "\n").prefix(2).joined(separator: " / ") } ?? "no answer"
        print("[chaos] \(operation) during the fault: \(text)")
    }

    /// Returns a drained host to service (the drain may have ended, or never started).
    private func resume(_ h: String, on c: AgentCluster) async {
        let via = c.lab.hosts.map(\.name).first { $0 != h && c.agentRuns(on: $0) } ?? "h1"
        for _ in 0..<30 {
            if let r = try? await c.vigilOffThePool(via, ["node", "resume", h]), r.status == 0 { return }
            try? await Task.sleep(for: .seconds(1))
        }
        XCTFail("node resume \(h) was refused for 30 s")
    }

    /// Undoes a fault, and whatever the cluster did to the host meanwhile: a fence device may have
    /// powered off a partitioned or silent host; a host that self-fenced runs without its agent.
    private func undo(_ fault: ChaosSchedule.Fault, _ applied: Applied, on c: AgentCluster) async throws {
        switch fault {
        case .powerOff, .killAgent, .crashGuest: break
        case .partition(let h): try await c.lab.heal(h)
        case .hangAgent(let h): c.signalAgent(on: h, SIGCONT)
        case .killLibvirtd(let h):
            if c.libvirtdPID(on: h).map({ kill($0, 0) != 0 }) ?? true { try await c.lab.exec(h, ["libvirtd", "-d", "--listen"]) }
        case .hangGuest:
            // The cluster may have restarted the guest meanwhile: then this process is gone.
            if let pid = applied.stoppedQEMU { kill(pid, SIGCONT) }
        case .killEtcdMember, .killEtcdLeader:
            // A fence device may have powered the whole host off meanwhile: repair boots it, member and all.
            if let h = applied.etcdMember, (try? await c.lab.exec(h, ["true"])) != nil {
                do { try await c.lab.startEtcdMember(h) } catch {
                    guard "\(error)".contains("already runs") else { throw error }
                }
            }
        }
        try await repair(c)
    }

    /// Boots every host a fence device (or the fault) powered off and starts every agent that is not
    /// running: a fence decided during a fault may power a host off after the fault was undone.
    private func repair(_ c: AgentCluster) async throws {
        for h in c.lab.hosts.map(\.name) where !c.agentRuns(on: h) {
            let killedByTest = c.agentPIDs[h] == nil
            var failure: String?
            do { try await c.lab.start(h) } catch { failure = "\(error)" }
            if let failure {
                guard failure.contains("already running") else {
                    throw LabError.commandFailed(arguments: ["lab", "start", h], status: 1, message: failure)
                }
                // The host runs, and its agent is gone though nobody killed it: it crashed or exited.
                XCTAssertTrue(killedByTest, "vigild on \(h) exited on its own, its host up: \(c.tail(c.log(h), lines: 30))")
            }
            c.agentDied(on: h)
            try await c.startAgent(on: h)
        }
    }

    /// Waits until every host is a member, every group online on one node, each guest running on
    /// exactly one host (its libvirtd asked) and beating since `since`.
    private func settled(_ c: AgentCluster, after what: String, since: Date, via: String = "h1") async throws {
        try await c.waitUntil("the cluster settled after \(what)", timeout: 180) {
            try await self.repair(c)
            let s = try await c.status(via: via)
            guard s.leader != nil, s.nodes.allSatisfy({ $0.member && $0.impairment == nil }) else { return false }
            return Self.chaosVMs.allSatisfy { vm in
                guard let g = s.groups.first(where: { $0.name == vm }), g.status == "online", g.nodes.count == 1,
                      c.runningHosts(of: vm) == g.nodes else { return false }
                return c.lab.lastHeartbeat(of: vm).map { $0.time > since.timeIntervalSince1970 } ?? false
            }
        }
        let failed = try await c.status(via: via).groups.filter { $0.status == "failed" }.map(\.name)
        XCTAssertEqual(failed, [], "no group failed after \(what)")
    }

    /// The first beat from an older boot that arrived after a newer boot's beat, if any (two copies ran).
    static func interleavedBoots(_ beats: [Heartbeat]) -> String? {
        var newest: Heartbeat?
        for beat in beats {
            if let n = newest, beat.boot < n.boot {
                return String(format: "boot %d at %.2f after boot %d at %.2f", beat.boot, beat.time, n.boot, n.time)
            }
            if newest.map({ beat.boot > $0.boot }) ?? true { newest = beat }
        }
        return nil
    }
}
