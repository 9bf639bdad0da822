import AgentAPI
import Foundation
import LabSupport
import Libvirt
import XCTest

/// The operator's commands on real QEMU guests, through the `vigil` binary: a VM's configuration
/// edited while it runs and while an operator has stopped it, and `group stop` / `group start`.
/// Checked by the hosts' libvirtd (what runs where, with how much memory) and the shared storage.
extension AgentLabTests {
    func testVMEditOfARunningAndOfAStoppedVMAndGroupStopStart() async throws {
        try await withCluster { c in
            try await c.addOnline(["vm1"])
            let before = snapshot(c, ["vm1"])
            let host = before["vm1"]!.host

            // Edited while it runs: stored at once, the guest untouched, the new memory at its next start.
            let original = try await configuration(c, "vm1")
            let running = try XCTUnwrap(memoryMiB(in: original.xml), "the lab guest's XML gives its memory in MiB")
            let edited = "\(c.agentDirectory)/vm1-edited.xml"
            try original.xml.replacingOccurrences(of: "<memory unit='MiB'>\(running)</memory>", with: "<memory unit='MiB'>\(running + 32)</memory>")
                .write(toFile: edited, atomically: true, encoding: .utf8)
            let edit = try c.vigil("h1", ["vm", "edit", "vm1", "--xml", edited])
            XCTAssertEqual(edit.status, 0, edit.err)
            XCTAssertEqual(memoryMiB(in: try String(contentsOfFile: original.path, encoding: .utf8)), running + 32, "the XML on shared storage is the new one")
            XCTAssertEqual(memoryMiB(in: try String(contentsOfFile: original.path + ".prev", encoding: .utf8)), running, "the previous revision is kept")
            assertUntouched(c, before, "after vm edit of the running VM")
            XCTAssertEqual(try domainMemoryMiB(c, "vm1", on: host), running, "the running guest keeps its memory until its next start")

            // Stopped by the operator: stays stopped, takes an edit, and starts with it.
            let stop = try await c.vigilOffThePool("h1", ["group", "stop", "vm1"])
            XCTAssertEqual(stop.status, 0, stop.out + stop.err)
            XCTAssertEqual(c.runningHosts(of: "vm1"), [], "vm1 runs nowhere after group stop")
            try await Task.sleep(for: .seconds(8))  // more than a reconcile and a probe round: nothing restarts it
            XCTAssertEqual(c.runningHosts(of: "vm1"), [], "nothing undoes an operator's stop")
            try original.xml.replacingOccurrences(of: "<memory unit='MiB'>\(running)</memory>", with: "<memory unit='MiB'>\(running + 64)</memory>")
                .write(toFile: edited, atomically: true, encoding: .utf8)
            let stoppedEdit = try c.vigil("h1", ["vm", "edit", "vm1", "--xml", edited])
            XCTAssertEqual(stoppedEdit.status, 0, stoppedEdit.err)
            let start = try await c.vigilOffThePool("h1", ["group", "start", "vm1"])
            XCTAssertEqual(start.status, 0, start.out + start.err)
            try await c.waitUntil("vm1 running again", timeout: 90) { c.runningHosts(of: "vm1").count == 1 }
            let now = try XCTUnwrap(c.runningHosts(of: "vm1").first)
            XCTAssertEqual(try domainMemoryMiB(c, "vm1", on: now), running + 64, "started with the definition edited while it was stopped")
            print("[lab] vm edit: running vm1 kept \(running) MiB and its QEMU on \(host); stopped by the operator for 8 s, "
                  + "edited to \(running + 64) MiB, started on \(now) with it")
        }
    }

    /// `vigil verify` over three hosts: the group visits the two other hosts in turn and comes back,
    /// live (the guest's boot counter unchanged), each step printed; exit status 0.
    func testVerifyVisitsEveryOwnerAndReturns() async throws {
        try await withCluster { c in
            try await c.addOnline(["vm1"])
            let home = try XCTUnwrap(c.runningHosts(of: "vm1").first)
            let boot = try await c.lab.waitForHeartbeat(of: "vm1", after: labNow(), timeout: 90).boot
            let start = Date()
            let verify = try await c.vigilOffThePool("h1", ["verify", "vm1", "--timeout", "600"])
            XCTAssertEqual(verify.status, 0, verify.out + verify.err)
            let others = c.lab.hosts.map(\.name).filter { $0 != home }.sorted()
            for (from, to) in zip([home] + others, others + [home]) {
                XCTAssertTrue(verify.out.contains("\(from)->\(to) live ok"), "step \(from)->\(to) printed: \(verify.out)")
            }
            XCTAssertEqual(c.runningHosts(of: "vm1"), [home], "the group ends where it started, running once")
            let after = try await c.lab.waitForHeartbeat(of: "vm1", after: labNow(), timeout: 30)
            XCTAssertEqual(after.boot, boot, "every move was live: the guest never rebooted")
            let gap = c.lab.largestGap(of: "vm1", from: start.timeIntervalSince1970, to: labNow())
            let json = try c.vigil("h1", ["status", "--output", "json"])
            let view = try JSONDecoder().decode(ClusterStatus.self, from: Data(json.out.utf8)).group("vm1")?.verification
            XCTAssertEqual(view?.outcome, "passed")
            XCTAssertEqual(view?.steps.map(\.to), others + [home])
            print("[lab] verify vm1 from \(home) in \(c.seconds(since: start)), largest heartbeat gap "
                  + "\(String(format: "%.2f", gap?.seconds ?? 0)) s:\n" + verify.out)
        }
    }

    private func configuration(_ c: AgentCluster, _ vm: String) async throws -> VMConfigurationView {
        let answer = try await c.call("h1", .GET, AgentAPI.vmXML(vm))
        XCTAssertEqual(answer.status, 200)
        return try APICoding.decode(VMConfigurationView.self, answer.body)
    }

    private func memoryMiB(in xml: String) -> Int? {
        guard let start = xml.range(of: "<memory unit='MiB'>"), let end = xml[start.upperBound...].range(of: "</memory>") else { return nil }
        return Int(xml[start.upperBound..<end.lowerBound])
    }

    /// The memory of the domain as the host's libvirtd runs it.
    private func domainMemoryMiB(_ c: AgentCluster, _ vm: String, on host: String) throws -> Int {
        let domain = try XCTUnwrap(try Connection(uri: try c.lab.host(host).uri).domainIfExists(name: vm))
        return Int(try domain.info().maxMemoryKiB / 1024)
    }
}
