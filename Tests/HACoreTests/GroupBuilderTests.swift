import HACore
import XCTest

/// Automatic grouping: a VM joins the group that holds its exclusive storage; shared storage binds
/// no VMs together; what cannot be grouped is refused with the reason.
final class GroupBuilderTests: XCTestCase {
    private func vm(_ name: String, _ storage: [ResourceID: StorageSharing] = [:]) -> VMDefinition {
        VMDefinition(name: name, domainXMLPath: "/shared/\(name).xml", memoryMiB: 1024, vcpus: 1, storage: storage)
    }

    /// Adds the VMs one after the other, as the wizard does; returns the groups by id.
    private func adding(_ vms: [VMDefinition]) throws -> [GroupID: GroupDefinition] {
        var groups: [GroupID: GroupDefinition] = [:]
        for v in vms {
            let g = try GroupBuilder.group(for: v, among: groups.values.sorted { $0.id < $1.id })
            groups[g.id] = g
        }
        return groups
    }

    func testVMsOnTheSameExclusiveStorageFallIntoOneGroup() throws {
        let groups = try adding([vm("a", ["lunA": .exclusive]), vm("b", ["lunB": .exclusive, "csv": .shared]),
                                 vm("c", ["lunA": .exclusive, "csv": .shared]), vm("d", ["csv": .shared]), vm("e")])
        XCTAssertEqual(groups.keys.sorted(), ["a", "b", "d", "e"], "shared storage binds nothing: d has its own group")
        let ac = try XCTUnwrap(groups["a"])
        XCTAssertEqual(Set(ac.vms.map(\.id)), ["a", "c"])
        XCTAssertEqual(ac.memoryMiB, 2048)
        // Storage, then the VM's configuration, then the VM; the group needs the storage its VMs name.
        let order = ac.onlineOrder
        XCTAssertLessThan(order.firstIndex(of: "lunA")!, order.firstIndex(of: "c-config")!)
        XCTAssertLessThan(order.firstIndex(of: "csv")!, order.firstIndex(of: "c-config")!)
        XCTAssertLessThan(order.firstIndex(of: "c-config")!, order.firstIndex(of: "c")!)
        XCTAssertEqual(order.filter { $0 == "lunA" }.count, 1, "one volume, one resource")
    }

    func testAJoinedGroupKeepsItsPolicyAndANewOneGetsTheVMs() throws {
        let first = try GroupBuilder.group(for: vm("a", ["lun": .exclusive]), among: [], policy: GroupPolicy(priority: .high))
        XCTAssertEqual(first.policy.priority, .high)
        let joined = try GroupBuilder.group(for: vm("b", ["lun": .exclusive]), among: [first], policy: GroupPolicy(priority: .low))
        XCTAssertEqual(joined.id, "a")
        XCTAssertEqual(joined.policy.priority, .high)
        let named = try GroupBuilder.group(for: vm("c"), among: [joined], asked: "a")
        XCTAssertEqual(Set(named.vms.map(\.id)), ["a", "b", "c"], "a group asked for by name is joined")
        XCTAssertEqual(try GroupBuilder.group(for: vm("d"), among: [joined], asked: "db").id, "db")
    }

    func testWhatCannotBeGroupedIsRefusedWithTheReason() throws {
        let groups = try adding([vm("a", ["lunA": .exclusive]), vm("b", ["lunB": .exclusive])]).values.sorted { $0.id < $1.id }
        func refusal(_ v: VMDefinition, asked: GroupID? = nil) -> GroupingError? {
            do { _ = try GroupBuilder.group(for: v, among: groups, asked: asked); return nil } catch { return error as? GroupingError }
        }
        XCTAssertEqual(refusal(vm("a")), .alreadyGrouped(vm: "a", group: "a"))
        XCTAssertEqual(refusal(vm("c", ["lunA": .exclusive, "lunB": .exclusive])), .storageInSeveralGroups(vm: "c", groups: ["a", "b"]))
        XCTAssertEqual(refusal(vm("c", ["lunA": .exclusive]), asked: "b"), .storageBelongsElsewhere(storage: "a", asked: "b"))
        XCTAssertEqual(refusal(vm("c", ["lunA": .shared])), .sharingMismatch(storage: "lunA", group: "a", there: .exclusive))
        XCTAssertEqual("\(GroupingError.storageBelongsElsewhere(storage: "a", asked: "b"))",
                       "the VM's storage belongs to group a, not b: VMs on one volume move together")
    }
}
