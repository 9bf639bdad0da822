import HACore
import XCTest

/// Automatic grouping: VMs on the same exclusive storage share a group; shared storage does not bind.
final class GroupBuilderTests: XCTestCase {
    private let storage: [ResourceID: StorageSharing] = ["lunA": .exclusive, "lunB": .exclusive, "csv": .shared]

    private func vm(_ name: String, _ disks: [ResourceID]) -> VMDefinition {
        VMDefinition(name: name, domainXMLPath: "/shared/\(name).xml", memoryMiB: 1024, vcpus: 1, storage: disks)
    }

    func testVMsOnTheSameExclusiveStorageFallIntoOneGroup() throws {
        let groups = try GroupBuilder.groups(vms: [vm("a", ["lunA"]), vm("b", ["lunB", "csv"]), vm("c", ["lunA", "lunB"]),
                                                   vm("d", ["csv"]), vm("e", [])], storage: storage)
        XCTAssertEqual(groups.map(\.id), ["a", "d", "e"])
        let abc = groups[0]
        XCTAssertEqual(Set(abc.vms.map(\.id)), ["a", "b", "c"])
        XCTAssertEqual(abc.memoryMiB, 3072)
        // The VM comes online after its configuration and its exclusive storage.
        let order = abc.onlineOrder
        XCTAssertLessThan(order.firstIndex(of: "lunA")!, order.firstIndex(of: "a")!)
        XCTAssertLessThan(order.firstIndex(of: "a.config")!, order.firstIndex(of: "a")!)
        XCTAssertFalse(order.contains("csv"), "shared storage is online everywhere, not part of a group")
    }

    func testBadInputGetsAClearError() {
        XCTAssertThrowsError(try GroupBuilder.groups(vms: [vm("a", ["nope"])], storage: storage)) {
            XCTAssertEqual("\($0)", "VM a: unknown storage nope")
        }
        XCTAssertThrowsError(try GroupBuilder.groups(vms: [vm("a", []), vm("a", [])], storage: storage)) {
            XCTAssertEqual($0 as? GroupingError, .duplicateVM("a"))
        }
        let policies = ["a": GroupPolicy(priority: .high), "b": GroupPolicy(priority: .low)]
        XCTAssertThrowsError(try GroupBuilder.groups(vms: [vm("a", ["lunA"]), vm("b", ["lunA"])], storage: storage, policies: policies)) {
            XCTAssertEqual($0 as? GroupingError, .conflictingPolicies(vms: ["a", "b"]))
        }
    }
}
