import HACore
import XCTest

/// Which move methods a group allows, and why the others are ruled out.
final class MoveMethodTests: XCTestCase {
    func testExclusiveStorageRulesOutLiveMigrationAndSaysWhy() throws {
        let group = try GroupDefinition(id: "g", resources: [
            .vm("vm1", memoryMiB: 128, vcpus: 1),
            Resource(id: "lun1", kind: .storage(.exclusive)),
        ], dependencies: ["vm1": ["lun1"]])
        XCTAssertEqual(group.moveLadder, [.quick, .cold], "exclusive storage is mounted on the source only: it quick-migrates")
        XCTAssertEqual(group.moveMethodNotes.count, 1)
        XCTAssertTrue(group.moveMethodNotes[0].hasPrefix("live: not allowed: storage lun1 is exclusive"), group.moveMethodNotes[0])
    }

    func testSharedStorageAllowsEveryMethod() throws {
        let group = try GroupDefinition(id: "g", resources: [
            .vm("vm1", memoryMiB: 128, vcpus: 1), Resource(id: "csv", kind: .storage(.shared)),
        ])
        XCTAssertEqual(group.moveLadder, [.live, .quick, .cold])
        XCTAssertEqual(group.moveMethodNotes, [])
    }

    func testAVMsOwnMethodsAreNamed() throws {
        let group = try GroupDefinition(id: "g", resources: [
            .vm("vm1", memoryMiB: 128, vcpus: 1, moveMethods: [.cold]), .vm("vm2", memoryMiB: 128, vcpus: 1),
        ])
        XCTAssertEqual(group.moveLadder, [.cold])
        XCTAssertEqual(group.moveMethodNotes, ["live: not allowed: VM vm1 does not allow it", "quick: not allowed: VM vm1 does not allow it"])
    }
}
