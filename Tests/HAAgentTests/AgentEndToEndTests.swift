import AgentAPI
import ClusterSchema
import Foundation
import HACore
import Libvirt
import NIOHTTP1
import XCTest
@testable import HAAgent

/// The whole agent on one host (embedded store, libvirt's test driver): making a VM highly available,
/// restart after a crash, failing a group whose restarts are exhausted, adoption after an agent
/// restart, and API errors that name the problem. Failover between hosts is proven in the lab.
final class AgentEndToEndTests: XCTestCase {
    private func unique(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(6).lowercased())" }

    private func groupStatus(_ h: AgentHarness, _ g: String) async throws -> String? {
        try await h.status().groups.first { $0.name == g }?.status
    }

    func testVMBecomesHighlyAvailableAndIsRestartedAfterACrash() async throws {
        let h = try AgentHarness()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let vm = unique("web")
        let add = AddVMRequest(domain: vm, xmlPath: try h.writeDomain(vm))
        let answer = try await h.call(.POST, AgentAPI.vms, body: try JSONEncoder().encode(add))
        XCTAssertEqual(answer.status, 201, String(decoding: answer.body, as: UTF8.self))
        try await h.waitUntil("\(vm) online") { try await self.groupStatus(h, vm) == "online" }
        let libvirt = try Connection(uri: "test:///default")
        let domain = try libvirt.lookup(name: vm)
        XCTAssertEqual(try domain.state().state, .running)

        // A crash (QEMU gone) is seen through libvirt events and restarted in place.
        try domain.destroy()
        try await h.waitUntil("\(vm) restarted") { try libvirt.lookup(name: vm).state().state == .running }
        try await h.waitUntil("\(vm) online after restart") { try await self.groupStatus(h, vm) == "online" }
        XCTAssertTrue(h.metrics.render().contains("vigil_restarts_total 1"), h.metrics.render())

        // A second crash within the restart period exceeds the threshold (1 in 15 min): the group is
        // taken offline and failed over; with one node, it starts here again (as WSFC does). After the
        // failover threshold (2 in 6 h) the group is left failed, stopped and undefined.
        var crashes = 1
        while try await groupStatus(h, vm) != "failed", crashes < 8 {
            try await h.waitUntil("\(vm) running before crash \(crashes + 1)") {
                let status = try await self.groupStatus(h, vm)
                let running = try libvirt.domainIfExists(name: vm)?.state().state == .running
                return status == "failed" || (status == "online" && running)
            }
            guard try await groupStatus(h, vm) != "failed" else { break }
            try libvirt.lookup(name: vm).destroy()
            crashes += 1
            let failoversBefore = h.metrics.render()
            try await h.waitUntil("\(vm) reacted to crash \(crashes)") {
                let status = try await self.groupStatus(h, vm)
                return status != "online" || h.metrics.render() != failoversBefore
            }
        }
        try await h.waitUntil("\(vm) failed") { try await self.groupStatus(h, vm) == "failed" }
        XCTAssertEqual(crashes, 4, "1 restart, then 2 failovers, then failed")
        XCTAssertTrue(h.metrics.render().contains("vigil_failovers_total 2"), h.metrics.render())
        XCTAssertNil(try libvirt.domainIfExists(name: vm), "a failed group leaves no definition on the host")
        await h.stop()
    }

    func testFailingInGuestProbeRestartsTheVM() async throws {
        // isAlive: the probe runs as COMMAND DOMAIN; here it checks a marker file the test controls.
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-alive-\(UUID().uuidString)").path
        let h = try AgentHarness(probe: ["/bin/sh", "-c", "test -e \(marker)-$0"])
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let vm = unique("probe")
        _ = FileManager.default.createFile(atPath: "\(marker)-\(vm)", contents: nil)
        try await h.addOnline(vm)
        let libvirt = try Connection(uri: "test:///default")
        let firstID = try libvirt.lookup(name: vm).id
        try await Task.sleep(for: .seconds(1))
        XCTAssertEqual(try libvirt.lookup(name: vm).id, firstID, "a passing probe changes nothing")

        try FileManager.default.removeItem(atPath: "\(marker)-\(vm)")  // the guest stops answering
        try await h.waitUntil("the restart decision") { h.metrics.render().contains("vigil_restarts_total 1") }
        _ = FileManager.default.createFile(atPath: "\(marker)-\(vm)", contents: nil)
        try await h.waitUntil("\(vm) running again after the probe failures") {
            try await self.groupStatus(h, vm) == "online" && (try libvirt.lookup(name: vm).state().state) == .running
        }
        XCTAssertNotEqual(try libvirt.lookup(name: vm).id, firstID, "a guest that still ran was powered off and started afresh")
        XCTAssertTrue(h.metrics.render().contains("vigil_resource_failures_total 1"), h.metrics.render())
        await h.stop()
        AgentHarness.remove(vm)
        try? FileManager.default.removeItem(atPath: "\(marker)-\(vm)")
    }

    func testReloadedHealthSettingsTakeEffectWithoutARestart() async throws {
        let h = try AgentHarness()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let vm = unique("reload")
        try await h.addOnline(vm)
        try await Task.sleep(for: .seconds(1))
        XCTAssertTrue(h.metrics.render().contains("vigil_restarts_total 0"), "no probe configured: nothing to fail")
        var fresh = h.configuration
        fresh.health.probeCommand = ["/bin/false"]  // SIGHUP with a probe that says the guest is dead
        h.reloads.submit(fresh)
        try await h.waitUntil("a restart decided by the reloaded probe") { h.metrics.render().contains("vigil_restarts_total 1") }
        XCTAssertEqual(fresh.restartOnlyChanges(from: h.configuration), [])
        var moved = fresh
        moved.sharedStorage = "/elsewhere"
        XCTAssertEqual(moved.restartOnlyChanges(from: h.configuration), ["shared_storage"])
        await h.stop()
        AgentHarness.remove(vm)
    }

    func testRestartedAgentAdoptsItsRunningVM() async throws {
        let h = try AgentHarness()
        h.start()
        try await h.waitForAPI()
        let vm = unique("db")
        try await h.addOnline(vm)
        let libvirt = try Connection(uri: "test:///default")
        let before = try libvirt.lookup(name: vm).id

        await h.stop()
        XCTAssertEqual(try libvirt.lookup(name: vm).state().state, .running, "the VM outlives its agent")
        h.start()
        try await h.waitForAPI()
        try await Task.sleep(for: .seconds(2))  // a reconcile pass
        let adopted = try await groupStatus(h, vm)
        XCTAssertEqual(adopted, "online")
        XCTAssertEqual(try libvirt.lookup(name: vm).id, before, "adopted, not restarted")
        await h.stop()
        AgentHarness.remove(vm)
    }

    func testOperatorChangeIsWrittenBackToSharedStorage() async throws {
        let h = try AgentHarness()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let vm = unique("cfg")
        let path = try h.writeDomain(vm)
        _ = try await h.call(.POST, AgentAPI.vms, body: try JSONEncoder().encode(AddVMRequest(domain: vm, xmlPath: path)))
        try await h.waitUntil("\(vm) online") { try await self.groupStatus(h, vm) == "online" }
        try await Task.sleep(for: .milliseconds(2500))  // changes right after a start are the agent's own
        let libvirt = try Connection(uri: "test:///default")
        let changed = try libvirt.lookup(name: vm).xmlDescription(.inactive)
            .replacingOccurrences(of: "<memory unit='KiB'>131072</memory>", with: "<memory unit='KiB'>262144</memory>")
        XCTAssertTrue(changed.contains("262144"), "the test changes the memory size")
        _ = try libvirt.define(xml: changed)
        try await h.waitUntil("the new memory size in \(path)") {
            (try String(contentsOfFile: path, encoding: .utf8)).contains("262144")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent).filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(leftovers, [], "written atomically: no temporary file left")
        await h.stop()
        AgentHarness.remove(vm)
    }

    func testVMsOnOneExclusiveVolumeShareAGroupThatMountsIt() async throws {
        let h = try AgentHarness()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let image = "\(h.directory)/shared/lun-\(UUID().uuidString.prefix(6)).img"
        let mountPoint = "\(h.directory)/mnt/lun"
        _ = FileManager.default.createFile(atPath: image, contents: nil)
        try FileHandle(forWritingAtPath: image)!.truncate(atOffset: 16 << 20)
        try Command.run("/usr/sbin/mkfs.ext4", "-q", "-F", image)
        let lun = StorageRequest(name: "lun-\(UUID().uuidString.prefix(6))", device: image, mountPoint: mountPoint)
        let (a, b) = (unique("ex-a"), unique("ex-b"))
        for vm in [a, b] {
            let answer = try await h.call(.POST, AgentAPI.vms, body: try JSONEncoder().encode(AddVMRequest(domain: vm, xmlPath: try h.writeDomain(vm), storage: [lun])))
            XCTAssertEqual(answer.status, 201, String(decoding: answer.body, as: UTF8.self))
        }
        let status = try await h.status()
        XCTAssertEqual(status.groups.first { $0.name == a }?.vms.sorted(), [a, b].sorted(), "the second VM joined the first one's group")
        XCTAssertNil(status.groups.first { $0.name == b })
        try await h.waitUntil("the group online with its volume mounted") {
            try await self.groupStatus(h, a) == "online" && (try StorageResource.exclusive(device: image, mountPoint: mountPoint).isOnline())
        }
        let c = unique("ex-c")
        let bad = try await h.call(.POST, AgentAPI.vms, body: try JSONEncoder().encode(
            AddVMRequest(domain: c, xmlPath: try h.writeDomain(c), storage: [StorageRequest(name: "half", device: "/dev/x")])))
        XCTAssertTrue(String(decoding: bad.body, as: UTF8.self).contains("give a device and a mount point"), String(decoding: bad.body, as: UTF8.self))
        await h.stop()
        let libvirt = try Connection(uri: "test:///default")
        for vm in [a, b] { try? libvirt.lookup(name: vm).destroy(); try? libvirt.lookup(name: vm).undefine() }
        try StorageResource.exclusive(device: image, mountPoint: mountPoint).offline()
    }

    func testPolicyChangesAreCheckedStoredAndDecideTheNextFailure() async throws {
        let h = try AgentHarness()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let vm = unique("policy")
        try await h.addOnline(vm)
        func put(_ group: String, _ request: PolicyRequest) async throws -> (Int, String) {
            let (status, data) = try await h.call(.PUT, AgentAPI.policy(group), body: try JSONEncoder().encode(request))
            let message = (try? JSONDecoder().decode(APIError.self, from: data))?.error
                ?? (try? JSONDecoder().decode(Accepted.self, from: data))?.accepted ?? String(decoding: data, as: UTF8.self)
            return (status, message)
        }
        let defaults = GroupPolicy().summary
        for (request, expected) in [
            (PolicyRequest(restart: "3"), "bad threshold '3' (use COUNT/PERIOD, e.g. 1/15m)"),
            (PolicyRequest(failback: "window:25-3"), "bad failback 'window:25-3' (use never, immediately or window:START-END with hours 0-23)"),
            (PolicyRequest(priority: "urgent"), "unknown priority 'urgent'; use high, medium, low or noAutoStart"),
            (PolicyRequest(preferredOwners: ["ghost"], possibleOwners: ["solo"]), "preferred owner ghost is not among the possible owners"),
            (PolicyRequest(possibleOwners: ["solo", "ghost"]),
             "VM \(vm) cannot run on every possible owner: ghost: no vigild has ever run there (not a cluster node?)"),
        ] {
            let (status, message) = try await put(vm, request)
            XCTAssertEqual(status, 400)
            XCTAssertEqual(message, expected)
        }
        let (missingStatus, missing) = try await put("nosuch", PolicyRequest(priority: "high"))
        XCTAssertEqual(missingStatus, 400)
        XCTAssertEqual(missing, "no group named nosuch")
        let unchanged = try await h.status().groups.first { $0.name == vm }?.policy
        XCTAssertEqual(unchanged, defaults, "refused changes leave the policy as it was")

        // No restart in place and no failover: the next failure leaves the group failed at once.
        let (status, accepted) = try await put(vm, PolicyRequest(possibleOwners: ["solo"], restart: "0/15m", failover: "0/6h", failback: "immediately"))
        XCTAssertEqual(status, 200, accepted)
        let summary = "priority=medium preferred=none possible=solo restart=0/15m failover=0/6h failback=immediately anti-affinity=none paused=auto-resume"
        XCTAssertEqual(accepted, "group \(vm): \(summary)")
        let stored = try await h.status().groups.first { $0.name == vm }?.policy
        XCTAssertEqual(stored, summary)
        try await Task.sleep(for: .seconds(2))  // the leader sees the new definition through its watch (milliseconds here)
        let libvirt = try Connection(uri: "test:///default")
        try libvirt.lookup(name: vm).destroy()
        try await h.waitUntil("\(vm) failed") { try await self.groupStatus(h, vm) == "failed" }
        XCTAssertTrue(h.metrics.render().contains("vigil_restarts_total 0"), h.metrics.render())
        XCTAssertTrue(h.metrics.render().contains("vigil_failovers_total 0"), h.metrics.render())
        await h.stop()
        AgentHarness.remove(vm)
    }

    func testBadRequestsAreNamed() async throws {
        let h = try AgentHarness()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        func error(_ method: HTTPMethod, _ path: String, _ body: Data?) async throws -> (Int, String) {
            let (status, data) = try await h.call(method, path, body: body)
            return (status, (try? JSONDecoder().decode(APIError.self, from: data))?.error ?? String(decoding: data, as: UTF8.self))
        }
        let outside = AddVMRequest(domain: "x", xmlPath: "/etc/hostname")
        var (status, message) = try await error(.POST, AgentAPI.vms, try JSONEncoder().encode(outside))
        XCTAssertEqual(status, 400)
        XCTAssertTrue(message.contains("/etc/hostname") && message.contains("not on shared storage"), message)

        (status, message) = try await error(.POST, AgentAPI.vms, Data("{\"domain\": 3}".utf8))
        XCTAssertEqual(status, 400)
        XCTAssertTrue(message.contains("malformed request body"), message)

        (status, message) = try await error(.POST, AgentAPI.move("nosuch"), nil)
        XCTAssertEqual(status, 400)
        XCTAssertEqual(message, "no group named nosuch")

        (status, message) = try await error(.POST, AgentAPI.node("ghost", .drain), nil)
        XCTAssertEqual(message, "no node named ghost")

        let vm = unique("dup")
        let add = try JSONEncoder().encode(AddVMRequest(domain: vm, xmlPath: try h.writeDomain(vm), priority: "urgent"))
        (status, message) = try await error(.POST, AgentAPI.vms, add)
        XCTAssertTrue(message.contains("unknown priority 'urgent'"), message)

        // The HA wizard checks every possible owner: an unknown one, and a VM bigger than this host.
        let ghostOwner = unique("owner")
        let owners = try JSONEncoder().encode(AddVMRequest(domain: ghostOwner, xmlPath: try h.writeDomain(ghostOwner), possibleOwners: ["solo", "ghost"]))
        (status, message) = try await error(.POST, AgentAPI.vms, owners)
        XCTAssertEqual(status, 400)
        XCTAssertEqual(message, "VM \(ghostOwner) cannot run on every possible owner: ghost: no vigild has ever run there (not a cluster node?)")
        let huge = unique("huge")
        let hugeXML = try String(contentsOfFile: try h.writeDomain(huge), encoding: .utf8)
            .replacingOccurrences(of: "<memory unit='MiB'>128</memory>", with: "<memory unit='GiB'>4096</memory>")
        try hugeXML.write(toFile: "\(h.directory)/shared/vms/\(huge).xml", atomically: true, encoding: .utf8)
        (status, message) = try await error(.POST, AgentAPI.vms, try JSONEncoder().encode(AddVMRequest(domain: huge, xmlPath: "\(h.directory)/shared/vms/\(huge).xml")))
        XCTAssertTrue(message.hasPrefix("VM \(huge) cannot run on every possible owner: solo: has ") && message.hasSuffix("the VM needs 4194304 MiB"), message)
        let stored = try await h.status().groups.map(\.name)
        XCTAssertFalse(stored.contains(huge) || stored.contains(ghostOwner), "nothing stored")

        (status, message) = try await error(.GET, "/v2/nothing", nil)
        XCTAssertEqual(status, 404)
        await h.stop()
    }
}
