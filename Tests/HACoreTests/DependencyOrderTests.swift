import HACore
import XCTest

/// Dependency DAGs: topological online order, reverse offline order, cycles and unknown names rejected.
final class DependencyOrderTests: XCTestCase {
    private let resources: [Resource] = [
        Resource(id: "lun", kind: .storage(.exclusive)),
        Resource(id: "vm.config", kind: .vmConfiguration(domainXMLPath: "/shared/vm.xml")),
        .vm("vm", memoryMiB: 1024, vcpus: 1),
    ]

    func testOnlineOrderFollowsDependenciesAndOfflineIsReversed() throws {
        let g = try GroupDefinition(id: "g", resources: resources, dependencies: ["vm": ["vm.config", "lun"], "vm.config": ["lun"]])
        XCTAssertEqual(g.onlineOrder, ["lun", "vm.config", "vm"])
        XCTAssertEqual(g.offlineOrder, ["vm", "vm.config", "lun"])
    }

    func testCycleIsRejectedNamingTheCycle() {
        XCTAssertThrowsError(try GroupDefinition(id: "g", resources: resources,
                                                 dependencies: ["vm": ["vm.config"], "vm.config": ["lun"], "lun": ["vm"]])) { error in
            XCTAssertEqual("\(error)", "group g: dependency cycle lun -> vm -> vm.config -> lun")
        }
    }

    func testUnknownAndDuplicateResourcesAreRejected() {
        XCTAssertThrowsError(try GroupDefinition(id: "g", resources: resources, dependencies: ["vm": ["nope"]])) {
            XCTAssertEqual($0 as? GroupValidationError, .unknownResource(group: "g", resource: "nope"))
        }
        XCTAssertThrowsError(try GroupDefinition(id: "g", resources: resources + [.vm("vm", memoryMiB: 1, vcpus: 1)])) {
            XCTAssertEqual($0 as? GroupValidationError, .duplicateResource(group: "g", resource: "vm"))
        }
    }

    func testDemandAndMoveLadderComeFromTheVMs() throws {
        let g = try GroupDefinition(id: "g", resources: [.vm("a", memoryMiB: 1024, vcpus: 1, moveMethods: [.live, .cold]),
                                                         .vm("b", memoryMiB: 2048, vcpus: 2, moveMethods: [.quick, .live])])
        XCTAssertEqual(g.memoryMiB, 3072)
        XCTAssertEqual(g.vcpus, 3)
        XCTAssertEqual(g.moveLadder, [.live, .cold])
    }
}
