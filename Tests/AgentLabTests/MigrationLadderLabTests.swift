import AgentAPI
import Foundation
import LabSupport
import XCTest

/// Supervised moves on real QEMU (TCG): a live migration that cannot finish climbs the ladder and
/// the guest ends running exactly once, its state kept; a group with exclusive storage moves by
/// quick migration, its volume following it and its guest not rebooted.
extension AgentLabTests {
    /// Every decision recorded about `group`, oldest first.
    private func events(_ c: AgentCluster, _ group: String) async throws -> [DecisionView] {
        let body = try await c.call("h1", .GET, AgentAPI.events(group: group, limit: 200)).body
        return try JSONDecoder().decode(DecisionPage.self, from: body).events
    }

    func testALiveMigrationThatCannotFinishClimbsTheLadderAndEndsRunningOnce() async throws {
        // 1 MiB/s cannot copy 128 MiB within 5 s (40 s per GiB): each pass runs over its budget.
        let agents = LabAgentSettings(migration: ["bandwidth_mibps: 1", "completion_seconds_per_gib: 40", "no_progress_seconds: 4"])
        try await withCluster(agents: agents) { c in
            try await c.addOnline(["vm1"])
            let first = try await owner(c, "vm1")
            let home = try XCTUnwrap(first)
            let boot = try await c.lab.waitForHeartbeat(of: "vm1", after: labNow(), timeout: 90).boot
            let watch = DuplicateWatch()
            watch.start(c, domains: ["vm1"])
            let start = Date()
            // As an operator moves it: `vigil group move` waits, printing each VM's rung and progress.
            let moved = try await c.vigilOffThePool("h1", ["group", "move", "vm1", "--timeout", "100"])
            XCTAssertEqual(moved.status, 0, moved.out + moved.err)
            let progress = moved.out.split(separator: "\n").filter { $0.contains("vm1: live \(home)->") }
            let sawProgress = !progress.isEmpty
            print("vigil group move printed \(progress.count) progress line(s), e.g. \(progress.first.map(String.init) ?? "-")")
            let now = try await owner(c, "vm1")
            XCTAssertNotEqual(now, home, "vm1 moved off \(home)")
            let doubles = await watch.stop()
            let logs = c.lab.hosts.map { "--- \($0.name)\n" + c.tail(c.log($0.name), lines: 30) }.joined(separator: "\n")
            XCTAssertEqual(doubles, [:], "never running on two hosts\n\(logs)")
            XCTAssertEqual(c.runningHosts(of: "vm1").count, 1, logs)
            let after = try await c.lab.waitForHeartbeat(of: "vm1", after: labNow(), timeout: 30)
            let recorded = try await events(c, "vm1")
            for e in recorded where e.kind == "migration" || e.action.contains("migrate") { print("  \(e.kind) \(e.action) -- \(e.reason)") }
            let rungs = recorded.filter { $0.kind == "migration" }.map(\.action)
            XCTAssertTrue(rungs.contains { $0.hasPrefix("autoConverge vm1") }, "\(rungs)")
            XCTAssertTrue(rungs.contains { $0.hasPrefix("abort vm1") }, "\(rungs)")
            XCTAssertTrue(recorded.contains { $0.action.hasPrefix("quick-migrate vm1") && $0.reason.contains("falling back to quick") },
                          "\(recorded.map(\.action))")
            XCTAssertTrue(sawProgress, "the live migration's progress was published while it ran")
            XCTAssertEqual(after.boot, boot, "quick migration keeps the guest's state: no reboot")
            print("ladder: \(home) -> \(c.runningHosts(of: "vm1")) in \(c.seconds(since: start)); rungs \(rungs)")
        }
    }

    func testAnExclusiveStorageGroupMovesByQuickMigrationWithItsStateKept() async throws {
        try await withCluster { c in
            let mountPoint = try await addOnExclusiveVolume(c, timeout: 90)
            let first = try await owner(c, "vm1")
            let home = try XCTUnwrap(first)
            let groups = try await c.status(via: "h1").groups
            let view = try XCTUnwrap(groups.first { $0.name == "vm1" })
            XCTAssertEqual(view.moveMethods, ["quick", "cold"], "exclusive storage cannot be live-migrated over")
            XCTAssertTrue(view.moveMethodNotes?.first?.contains("lun1 is exclusive") == true, "\(view.moveMethodNotes ?? [])")
            let boot = try await c.lab.waitForHeartbeat(of: "vm1", after: labNow(), timeout: 90).boot
            let start = Date()
            let (status, body) = try await c.call("h1", .POST, AgentAPI.move("vm1"))
            XCTAssertEqual(status, 202, String(decoding: body, as: UTF8.self))
            try await c.waitUntil("vm1 and lun1 together on another host", timeout: 90) {
                guard let owner = try await self.owner(c, "vm1"), owner != home else { return false }
                return await c.hostsMounting(mountPoint) == [owner] && c.runningHosts(of: "vm1") == [owner]
            }
            let after = try await c.lab.waitForHeartbeat(of: "vm1", after: labNow(), timeout: 30)
            XCTAssertEqual(after.boot, boot, "restored from its saved state, not rebooted")
            let moves = try JSONDecoder().decode(MoveList.self, from: try await c.call("h1", .GET, AgentAPI.moves).body).moves
            let move = try XCTUnwrap(moves.first { $0.group == "vm1" })
            XCTAssertEqual(move.method, "quick")
            XCTAssertEqual(move.phase, "done")
            XCTAssertTrue(move.vms.first?.image?.contains(move.id) == true, "the image is named after its move: \(move)")
            let state = c.lab.sharedStorage + "/.vigil/state"
            let left = ((try? FileManager.default.contentsOfDirectory(atPath: state)) ?? []).filter { $0.hasPrefix("vm1.") }
            XCTAssertEqual(left, [], "the restored image is removed")
            print("exclusive-storage quick migration \(home) -> \(c.runningHosts(of: "vm1")) in \(c.seconds(since: start)), boot \(boot) kept")
        }
    }
}
