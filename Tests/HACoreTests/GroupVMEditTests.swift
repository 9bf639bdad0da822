import HACore
import XCTest

/// `vm edit` changes one VM's demand in its group; `vm remove` takes one VM (and only its own
/// configuration) out, and ends the group with its last VM.
final class GroupVMEditTests: XCTestCase {
    /// Two VMs on one exclusive volume: lun ← a-config ← a, lun ← b-config ← b.
    private func twoVMs() throws -> GroupDefinition {
        try GroupDefinition(id: "g", resources: [
            Resource(id: "lun", kind: .storage(.exclusive)),
            Resource(id: "a-config", kind: .vmConfiguration(domainXMLPath: "/shared/a.xml")),
            .vm("a", memoryMiB: 1024, vcpus: 1, moveMethods: [.quick, .cold]),
            Resource(id: "b-config", kind: .vmConfiguration(domainXMLPath: "/shared/b.xml")),
            .vm("b", memoryMiB: 512, vcpus: 2),
        ], dependencies: ["a": ["a-config"], "a-config": ["lun"], "b": ["b-config"], "b-config": ["lun"]])
    }

    func testAnEditedDemandCountsForPlacementAndKeepsTheMoveMethods() throws {
        let edited = try twoVMs().updatingDemand(of: "a", memoryMiB: 4096, vcpus: 4)
        XCTAssertEqual(edited.memoryMiB, 4096 + 512)
        XCTAssertEqual(edited.vcpus, 6)
        XCTAssertEqual(edited.vmResource(runningDomain: "a")?.moveMethods, [.quick, .cold])
        XCTAssertEqual(edited.onlineOrder, try twoVMs().onlineOrder)
        XCTAssertThrowsError(try twoVMs().updatingDemand(of: "nosuch", memoryMiB: 1, vcpus: 1))
    }

    func testRemovingAVMTakesItsOwnConfigurationAndLeavesTheStorageAndTheOtherVM() throws {
        let rest = try XCTUnwrap(try twoVMs().removing(domain: "a"))
        XCTAssertEqual(Set(rest.resources.map(\.id)), ["lun", "b-config", "b"])
        XCTAssertEqual(rest.dependencies, ["b": ["b-config"], "b-config": ["lun"]])
        XCTAssertEqual(rest.memoryMiB, 512)
        XCTAssertNil(try rest.removing(domain: "b"), "the last VM ends the group")
        XCTAssertThrowsError(try rest.removing(domain: "a"), "a VM the group does not have is named as unknown")
    }
}
