import AgentAPI
import Foundation
import LabSupport
import XCTest

/// Crash-safe moves (issue 11 item 5): a fault in the middle of a live migration — kill -9 of the
/// source's agent, of the target's, of the leader's, power-off of the target or of the source —
/// ends with the guest running exactly once (every host's libvirtd polled throughout), its stored
/// XML unchanged, the move's record finished (never left "migrating"), and the guest never rebooted
/// unless its host lost power.
extension AgentLabTests {
    /// The fault made while the guest's live migration runs.
    enum MoveFault: String {
        case killSourceAgent = "kill -9 of the source's agent"
        case killTargetAgent = "kill -9 of the target's agent"
        case killLeader = "kill -9 of the leader's agent"
        case powerOffTarget = "power-off of the target host"
        case powerOffSource = "power-off of the source host"
    }

    func testKillOfTheSourceAgentInTheMiddleOfALiveMigration() async throws { try await liveMove(under: .killSourceAgent) }
    func testKillOfTheTargetAgentInTheMiddleOfALiveMigration() async throws { try await liveMove(under: .killTargetAgent) }
    func testKillOfTheLeaderInTheMiddleOfALiveMigration() async throws { try await liveMove(under: .killLeader) }
    func testPowerOffOfTheTargetInTheMiddleOfALiveMigration() async throws { try await liveMove(under: .powerOffTarget) }
    func testPowerOffOfTheSourceInTheMiddleOfALiveMigration() async throws { try await liveMove(under: .powerOffSource) }

    /// vm1 moves live from one host to another, slowly (4 MiB/s, budgets far off), the leader on the
    /// third; once data flows, `fault` strikes; agents killed come back 8 s later, hosts powered off
    /// stay off (fenced by their device).
    private func liveMove(under fault: MoveFault) async throws {
        let agents = LabAgentSettings(migration: ["bandwidth_mibps: 4", "completion_seconds_per_gib: 2400", "no_progress_seconds: 120"])
        try await withCluster(fenceDevices: true, agents: agents) { c in
            let elected = try await c.status(via: "h1").leader
            let leader = try XCTUnwrap(elected)
            let owners = c.lab.hosts.map(\.name).filter { $0 != leader }
            try await c.addOnline(["vm1"], possibleOwners: owners)
            let placed = try await owner(c, "vm1", via: leader)
            let source = try XCTUnwrap(placed)
            let target = try XCTUnwrap(owners.first { $0 != source })
            let boot = try await c.lab.waitForHeartbeat(of: "vm1", after: labNow() - 1, timeout: 120).boot
            let xml = c.storedXML()
            let watch = DuplicateWatch()
            watch.start(c, domains: ["vm1"])

            let requested = Date()
            let (status, body) = try await c.call(leader, .POST, AgentAPI.move("vm1"), body: try JSONEncoder().encode(MoveRequest(to: target)))
            XCTAssertEqual(status, 202, String(decoding: body, as: UTF8.self))
            var progress = "-"
            try await c.waitUntil("vm1's live migration \(source)->\(target) moving data", timeout: 60) {
                let move = try await c.status(via: leader).groups.first { $0.name == "vm1" }?.move
                progress = move?.vms.first?.progress ?? "-"
                return move?.method == "live" && move?.phase == "migrating" && (move?.vms.first?.dataProcessed ?? 0) >= 1 << 20
            }
            let struck = Date()
            let (victim, via): (String, String) = switch fault {
            case .killSourceAgent, .powerOffSource: (source, leader)
            case .killTargetAgent, .powerOffTarget: (target, leader)
            case .killLeader: (leader, source)
            }
            switch fault {
            case .killSourceAgent, .killTargetAgent, .killLeader:
                c.killAgent(on: victim)
                try await Task.sleep(for: .seconds(8))
                try await c.startAgent(on: victim)
            case .powerOffTarget, .powerOffSource:
                try await c.kill(victim)
            }

            // The end, once libvirt's own migration job is over on every host (a killed agent's migration
            // runs on in libvirtd): vm1 online where it runs, on one host, the move's record finished.
            let survivors = owners.filter { fault == .powerOffTarget || fault == .powerOffSource ? $0 != victim : true }
            try await c.waitUntil("no migration job, vm1 online on one host and its move finished", timeout: 180) {
                let g = try await c.status(via: via).groups.first { $0.name == "vm1" }
                let running = c.runningHosts(of: "vm1")
                return c.migratingHosts(of: "vm1").isEmpty && g?.status == "online" && running.count == 1 && g?.nodes == running
                    && survivors.contains(running[0]) && ["done", "failed", "aborted"].contains(g?.move?.phase ?? "done")
            }
            let settled = c.seconds(since: struck)
            let beat = try await c.lab.waitForHeartbeat(of: "vm1", after: labNow(), timeout: 60)
            let doubles = await watch.stop()
            let final = try await c.status(via: via).groups.first { $0.name == "vm1" }
            let logs = c.lab.hosts.map { "--- \($0.name)\n" + c.tail(c.log($0.name), lines: 25) }.joined(separator: "\n")
            XCTAssertEqual(doubles, [:], "vm1 never ran on two hosts\n\(logs)")
            XCTAssertNil(Self.interleavedBoots(c.lab.heartbeats(of: "vm1")), "two copies of vm1 never beat at once")
            XCTAssertEqual(c.storedXML(), xml, "vm1's stored XML is as it was")
            if fault == .powerOffSource {
                print("  vm1's host lost power during its migration: it runs again, boot \(boot) -> \(beat.boot)")
            } else {
                XCTAssertEqual(beat.boot, boot, "vm1 never rebooted: its migration finished or was undone, the guest kept running\n\(logs)")
            }
            let steps = final?.move?.steps.map { "\($0.node) \($0.vm ?? "-") \($0.what): \($0.reason)" } ?? []
            print("[lab] \(fault.rawValue) \(String(format: "%.1f", struck.timeIntervalSince(requested))) s into "
                  + "vm1's live move \(source)->\(target) (leader \(leader); then: \(progress)): settled \(settled) later on \(c.runningHosts(of: "vm1")), "
                  + "move \(final?.move?.phase ?? "none"), boot \(boot) -> \(beat.boot)")
            for s in steps { print("  step: \(s)") }
        }
    }
}
