import LabSupport
import XCTest

/// `ChaosSchedule` is a pure function of its seed: a failing chaos run replays exactly.
final class ChaosScheduleTests: XCTestCase {
    private let hosts = ["h1", "h2", "h3"], vms = ["vm1", "vm2", "vm3"]

    func testTheSameSeedGivesTheSameScheduleAndAnotherSeedAnother() {
        let a = ChaosSchedule(seed: 42, steps: 20, hosts: hosts, vms: vms)
        XCTAssertEqual(a, ChaosSchedule(seed: 42, steps: 20, hosts: hosts, vms: vms))
        XCTAssertNotEqual(a.steps, ChaosSchedule(seed: 43, steps: 20, hosts: hosts, vms: vms).steps)
        XCTAssertTrue(a.description.hasPrefix("seed 42: 1. "), a.description)
    }

    func testStepsStayWithinTheLabAndHoldTwoToTenSeconds() {
        let hosts = hosts + ["h4"], etcdHosts = ["h1", "h2", "h3"]
        var kinds = Set<String>(), operations = Set<String>()
        var withoutOperation = 0
        for seed in UInt64(1)...50 {
            for step in ChaosSchedule(seed: seed, steps: 10, hosts: hosts, vms: vms).steps {
                XCTAssertTrue((2...10).contains(step.holdSeconds), "\(step)")
                switch step.fault {
                case .powerOff(let h), .partition(let h), .killAgent(let h), .hangAgent(let h), .killLibvirtd(let h):
                    XCTAssertTrue(hosts.contains(h), "\(step)")
                case .killEtcdMember(let h):
                    XCTAssertTrue(etcdHosts.contains(h), "only the first three hosts hold etcd members: \(step)")
                case .crashGuest(let vm), .hangGuest(let vm):
                    XCTAssertTrue(vms.contains(vm), "\(step)")
                case .killEtcdLeader: break
                }
                switch step.operation {
                case .move(let vm): XCTAssertTrue(vms.contains(vm), "\(step)"); operations.insert("move")
                case .drain(let h): XCTAssertTrue(hosts.contains(h), "\(step)"); operations.insert("drain")
                case nil: withoutOperation += 1
                }
                kinds.insert(String(describing: step.fault).split(separator: " ").dropLast().joined(separator: " "))
            }
        }
        XCTAssertEqual(kinds.count, 9, "every kind of fault occurs over 500 steps: \(kinds.sorted())")
        XCTAssertEqual(operations, ["move", "drain"], "both operations occur during faults")
        XCTAssertGreaterThan(withoutOperation, 250, "most faults come alone")
    }
}
