import ClusterSchema
import HACoordination
import HACore
import XCTest
@testable import HAAgent

/// Records written by earlier agents still read, and today's agents write the same bytes: the key
/// strings and the JSON of every stored type are pinned here (captured from the agent before the
/// cluster schema had one home).
final class StoredRecordCompatibilityTests: XCTestCase {
    /// Decodes `json` as `T` and expects `value`; expects `value` to encode to exactly `json` (or to itself).
    private func assertStored<T: Codable & Equatable>(_ value: T, _ json: String, sameBytes: Bool = true,
                                                      file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try StoreCoding.decode(T.self, Array(json.utf8), key: "fixture"), value, file: file, line: line)
        let written = try StoreCoding.encode(value)
        if sameBytes { XCTAssertEqual(String(decoding: written, as: UTF8.self), json, file: file, line: line) }
        XCTAssertEqual(try StoreCoding.decode(T.self, written, key: "fixture"), value, file: file, line: line)
    }

    func testKeysAreTheOnesAlreadyStored() {
        XCTAssertEqual(ClusterKeys.node("h1"), "nodes/h1")
        XCTAssertEqual(ClusterKeys.leader, "leader")
        XCTAssertEqual(ClusterKeys.agent("h1"), "agents/h1")
        XCTAssertEqual(ClusterKeys.group("web"), "groups/web")
        XCTAssertEqual(ClusterKeys.task("h1", "web"), "tasks/h1/web")
        XCTAssertEqual(ClusterKeys.inbox("m1"), "inbox/m1")
        XCTAssertEqual(ClusterKeys.etcdPrefix(cluster: "prod"), "/vigil/prod/")
        XCTAssertEqual(ClusterKeys.Coordinator.nodes, "coordinator/nodes")
        XCTAssertEqual(ClusterKeys.Coordinator.group("web"), "coordinator/groups/web")
        XCTAssertEqual(ClusterKeys.Coordinator.leaseLosses, "coordinator/leaseLosses")
        XCTAssertEqual(ClusterKeys.Coordinator.wakeups, "coordinator/wakeups")
    }

    func testNodeRecord() throws {
        let record = NodeRecord(id: "h1", capacity: NodeCapacity(memoryMiB: 4096, vcpus: 4), version: "1.0", state: .draining,
                                lastHeartbeat: Timestamp(milliseconds: 1_700_000_000_000))
        try assertStored(record, #"{"capacity":{"memoryMiB":4096,"reservedMemoryMiB":0,"vcpus":4},"id":"h1","lastHeartbeat":{"milliseconds":1700000000000},"state":"draining","version":"1.0"}"#)
    }

    func testAgentRecordKeepsTheOlderWatchdogKey() throws {
        let record = AgentRecord(node: "h1", migrationURI: "qemu+tcp://h1/system", watchdogResetSeconds: 12.5, heartbeatAddress: "10.0.0.1:7410")
        try assertStored(record, #"{"heartbeatAddress":"10.0.0.1:7410","migrationURI":"qemu+tcp:\/\/h1\/system","node":"h1","watchdogTimeoutSeconds":12.5}"#)
    }

    func testGroupSpecAsTheWizardStoresIt() throws {
        let vm = Resource.vm("web", memoryMiB: 512, vcpus: 2, moveMethods: [.live, .cold])
        let definition = try GroupDefinition(
            id: "web",
            resources: [Resource(id: "web-config", kind: .vmConfiguration(domainXMLPath: "/srv/vigil/web.xml")), vm,
                        Resource(id: "lun1", kind: .storage(.exclusive)), Resource(id: "csv", kind: .storage(.shared))],
            dependencies: [vm.id: ["web-config"], "web-config": ["lun1", "csv"]],
            policy: GroupPolicy(preferredOwners: ["h1", "h2"], priority: .high))
        let spec = GroupSpec(definition: definition, storage: ["lun1": .exclusive(device: "/dev/disk/by-id/x", mountPoint: "/srv/lun1"),
                                                               "csv": .shared(path: "/srv/csv")])
        // Its dependencies are a dictionary keyed by resource: JSON order varies, so equal values, not bytes.
        try assertStored(spec, #"{"definition":{"dependencies":["web",["web-config"],"web-config",["csv","lun1"]],"id":"web","policy":{"antiAffinityClasses":[],"failback":{"never":{}},"failover":{"period":{"milliseconds":21600000},"threshold":2},"possibleOwners":[],"preferredOwners":["h1","h2"],"priority":"high","restart":{"period":{"milliseconds":900000},"threshold":1}},"resources":[{"id":"web-config","kind":{"vmConfiguration":{"domainXMLPath":"\/srv\/vigil\/web.xml"}}},{"id":"web","kind":{"virtualMachine":{"domain":"web","memoryMiB":512,"moveMethods":["live","cold"],"vcpus":2}}},{"id":"lun1","kind":{"storage":{"_0":"exclusive"}}},{"id":"csv","kind":{"storage":{"_0":"shared"}}}]},"storage":{"csv":{"shared":{"path":"\/srv\/csv"}},"lun1":{"exclusive":{"device":"\/dev\/disk\/by-id\/x","mountPoint":"\/srv\/lun1"}}}}"#, sameBytes: false)
    }

    func testTaskAndItsReportInTheInbox() throws {
        let task = AgentTask(id: "t1", group: "web", node: "h1", step: .quickSave(to: "h2"), reason: "drain h1")
        try assertStored(task, #"{"group":"web","id":"t1","node":"h1","reason":"drain h1","step":{"quickSave":{"to":"h2"}}}"#)
        let report = TaskReport(task: task, failure: "disk locked", failedResource: "web", stillRunningHere: true, refusedByDiskLocks: true)
        try assertStored(InboxMessage(id: "m1", sender: "h1", body: .taskDone(report)), #"{"body":{"taskDone":{"_0":{"failedResource":"web","failure":"disk locked","refusedByDiskLocks":true,"stillRunningHere":true,"task":{"group":"web","id":"t1","node":"h1","reason":"drain h1","step":{"quickSave":{"to":"h2"}}}}}},"id":"m1","sender":"h1"}"#)
    }
}
