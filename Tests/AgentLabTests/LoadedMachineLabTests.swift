import Foundation
import LabSupport
import XCTest

/// A host that is slow rather than dead: the machine loaded far beyond its cores (busy guests, a
/// build) must not make any healthy host fence itself or be fenced, nor stop a guest. Checked by the
/// hosts' libvirtd and /proc (every guest in the QEMU it had) and by the agents' logs (the suspicion
/// audit fails the test for a healthy host fenced by its peers or by itself).
extension AgentLabTests {
    func testALoadedMachineStopsNoGuestAndFencesNoHost() async throws {
        try await withCluster { c in
            let vms = ["vm1", "vm2", "vm3"]
            try await c.addOnline(vms)
            let before = snapshot(c, vms)
            let watch = DuplicateWatch()
            watch.start(c, domains: vms)

            // Four busy loops per core and two writers syncing every block to the disk that holds etcd's
            // write-ahead logs (a backup job), at the default priority, for six lease TTLs.
            let cores = ProcessInfo.processInfo.activeProcessorCount
            var hogs = try (0..<(4 * cores)).map { _ in
                try Spawn.start(["/bin/sh", "-c", "while :; do :; done"], stdout: "/dev/null", stderr: "/dev/null")
            }
            let scratch = c.agentDirectory + "/io-load"
            hogs += try (0..<2).map { i in
                try Spawn.start(["/bin/sh", "-c", "while :; do dd if=/dev/zero of=\(scratch)-\(i) bs=64k count=256 oflag=dsync 2>/dev/null; done"],
                                stdout: "/dev/null", stderr: "/dev/null")
            }
            defer { for i in 0..<2 { try? FileManager.default.removeItem(atPath: "\(scratch)-\(i)") } }
            let seconds = 6 * c.agents.ttlSeconds
            do {
                try await Task.sleep(for: .seconds(seconds))
            } catch {}
            let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first ?? "?"
            for pid in hogs { kill(pid, SIGKILL); _ = Spawn.reap(pid) }

            assertUntouched(c, before, "after \(seconds) s of \(hogs.count) CPU hogs")
            let duplicates = await watch.stop()
            XCTAssertEqual(duplicates, [:], "a guest ran on two hosts at once")
            let status = try await c.status(via: "h1")
            XCTAssertEqual(status.nodes.filter(\.member).count, c.lab.hosts.count, "every host is still a member")
            print("[lab] \(hogs.count - 2) CPU hogs and 2 syncing writers on \(cores) cores for \(seconds) s (load average \(load)): "
                  + "every guest kept its QEMU where it ran; the audit below counts suspicions and fences")
        }
    }
}
