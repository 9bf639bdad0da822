import AgentAPI
import Foundation
import XCTest

/// The HA wizard groups by storage through `GroupBuilder`, over the API of a whole in-process agent:
/// a VM joins the group holding its exclusive volume, shared storage binds no VMs together, and a VM
/// that would bind two groups, or that asks for another group than its volume's, is refused.
final class AutomaticGroupingTests: XCTestCase {
    func testTheWizardGroupsVMsByTheirExclusiveStorage() async throws {
        let h = try AgentHarness()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let tag = UUID().uuidString.prefix(6).lowercased()
        // Exclusive volumes as filesystem images on shared storage (never mounted: the groups do not start).
        for lun in ["a", "b"] { _ = FileManager.default.createFile(atPath: "\(h.directory)/shared/lun-\(lun).img", contents: Data(count: 4096)) }
        let lunA = StorageRequest(name: "luna-\(tag)", device: "\(h.directory)/shared/lun-a.img", mountPoint: "\(h.directory)/mnt/a")
        let lunB = StorageRequest(name: "lunb-\(tag)", device: "\(h.directory)/shared/lun-b.img", mountPoint: "\(h.directory)/mnt/b")
        let csv = StorageRequest(name: "csv-\(tag)", path: "\(h.directory)/shared")
        /// Adds a VM that never starts (no auto-start: its made-up devices are never mounted).
        func add(_ name: String, _ storage: [StorageRequest], group: String? = nil) async throws -> (status: Int, message: String) {
            let request = AddVMRequest(domain: name, xmlPath: try h.writeDomain(name), group: group, priority: "noAutoStart", storage: storage)
            let (status, body) = try await h.call(.POST, AgentAPI.vms, body: try JSONEncoder().encode(request))
            let message = (try? JSONDecoder().decode(APIError.self, from: body))?.error
                ?? (try? JSONDecoder().decode(Accepted.self, from: body))?.accepted ?? String(decoding: body, as: UTF8.self)
            return (status, message)
        }
        let (a, b, c, d, e) = ("a-\(tag)", "b-\(tag)", "c-\(tag)", "d-\(tag)", "e-\(tag)")
        for (vm, storage) in [(a, [lunA, csv]), (b, [lunB]), (c, [csv])] {
            let answer = try await add(vm, storage)
            XCTAssertEqual(answer.status, 201, answer.message)
        }
        let joined = try await add(d, [lunA])
        XCTAssertEqual(joined.status, 201, joined.message)
        XCTAssertEqual(joined.message, "VM \(d) is highly available in group \(a) with \(a) (a group's VMs move together)")

        let groups = Dictionary(uniqueKeysWithValues: try await h.status().groups.map { ($0.name, $0.vms.sorted()) })
        XCTAssertEqual(groups, [a: [a, d].sorted(), b: [b], c: [c]], "one group per exclusive volume; shared storage binds nothing")

        let bridging = try await add(e, [lunA, lunB])
        XCTAssertEqual(bridging.status, 400)
        XCTAssertTrue(bridging.message.contains("exclusive storage lies in groups \(a) and \(b)"), bridging.message)
        let elsewhere = try await add(e, [lunB], group: c)
        XCTAssertEqual(elsewhere.message, "the VM's storage belongs to group \(b), not \(c): VMs on one volume move together")
        let mismatch = try await add(e, [StorageRequest(name: lunA.name, path: "\(h.directory)/shared")])
        XCTAssertEqual(mismatch.message, "storage \(lunA.name) is exclusive in group \(a); name it so here too")
        let after = try await h.status().groups.map(\.name).sorted()
        XCTAssertEqual(after, [a, b, c].sorted(), "nothing refused was stored")
        await h.stop()
    }
}
