import AgentAPI
import Foundation
import LabSupport
import XCTest

/// Exclusive storage (a volume mounted on its owner only) under a lost lease: nothing refuses a
/// second mount the way the disk locks refuse a second start, so its group waits for proof of death.
extension AgentLabTests {
    /// kill -9 of the agent on the owner of a group with an exclusive volume, for longer than its lease
    /// (no fence device, no watchdog): the volume is never mounted on a second host, the guest runs on
    /// untouched, and the agent, started again, adopts it. (Before: after lease loss + margin the leader
    /// started the group elsewhere; the VM's start was refused by the disk locks, but the volume had been
    /// mounted on a second host by then.)
    func testExclusiveVolumeIsNeverMountedTwiceWhenItsOwnersAgentDies() async throws {
        try await withCluster { c in
            let mountPoint = try await addOnExclusiveVolume(c, timeout: 90)
            let placed = try await owner(c, "vm1")
            let home = try XCTUnwrap(placed)
            let via = c.lab.hosts.map(\.name).first { $0 != home }!
            let before = snapshot(c, ["vm1"])
            let watch = DuplicateWatch()
            watch.start(c, domains: ["vm1"])
            var mounts: [[String]] = []
            let killed = Date()
            c.killAgent(on: home)
            try await c.waitUntil("\(home) seen down", timeout: 30) {
                try await c.status(via: via).nodes.first { $0.name == home }?.state == "down"
            }
            // Past lease loss + margin, as long again as a start elsewhere would take.
            let until = Date().addingTimeInterval(15)
            while Date() < until {
                mounts.append(await c.hostsMounting(mountPoint))
                try await Task.sleep(for: .milliseconds(500))
            }
            try await c.startAgent(on: home)
            try await c.waitUntil("vm1 online on \(home) again", timeout: 60) {
                let g = try await c.status(via: via).groups.first { $0.name == "vm1" }
                return g?.status == "online" && g?.nodes == [home]
            }
            let doubles = await watch.stop()
            XCTAssertEqual(Set(mounts), [[home]], "lun1 mounted on \(home) only, throughout: \(Set(mounts))")
            XCTAssertEqual(doubles, [:], "vm1 never ran on two hosts")
            assertUntouched(c, before, "agent dead for \(c.seconds(since: killed))")
            let logs = c.lab.hosts.map { (try? String(contentsOfFile: c.log($0.name), encoding: .utf8)) ?? "" }.joined()
            XCTAssertTrue(logs.contains("exclusive storage may still be mounted"), "the leader said why vm1 waits")
            print("[lab] agent of \(home) (vm1 with exclusive lun1) killed: lun1 mounted on \(Set(mounts)) in \(mounts.count) samples "
                  + "over 15 s past the lease, vm1 adopted again \(c.seconds(since: killed)) after the kill, never restarted")
        }
    }
}
