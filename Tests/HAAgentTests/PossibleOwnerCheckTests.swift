import ClusterSchema
import DomainXML
import Foundation
import HACore
import XCTest
@testable import HAAgent

/// The HA wizard's check of every possible owner, on records as agents publish them.
final class PossibleOwnerCheckTests: XCTestCase {
    private var directory = ""
    private var storage: SharedStorage { SharedStorage(root: directory) }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-owners-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

    private let x86 = HostCapabilities(hostArch: "x86_64", guests: [
        .init(osType: "hvm", arch: "x86_64", machines: ["pc", "pc-q35-7.2", "q35"], domainTypes: ["qemu", "kvm"]),
    ])

    private func domain(memoryMiB: Int = 1024, vcpus: Int = 2, machine: String = "pc-q35-7.2") throws -> DomainDefinition {
        try DomainDefinition(xml: """
            <domain type='kvm'><name>web</name><memory unit='MiB'>\(memoryMiB)</memory><vcpu>\(vcpus)</vcpu>
            <os><type arch='x86_64' machine='\(machine)'>hvm</type></os></domain>
            """)
    }

    /// An agent record as `node` publishes it after writing its marker into `storage`.
    private func agent(_ node: NodeID, capabilities: HostCapabilities? = nil, writesMarker: Bool = true,
                       sharedStorage: String? = nil) throws -> AgentRecord {
        let token = writesMarker ? try StorageMarker.write(for: node, in: storage) : UUID().uuidString
        return AgentRecord(node: node, migrationURI: "qemu+tcp://\(node)/system",
                           profile: HostProfile(capabilities: capabilities ?? x86, sharedStorage: sharedStorage ?? directory,
                                                storageToken: token))
    }

    func testOwnersThatCanHostTheVMPass() throws {
        let agents = try Dictionary(uniqueKeysWithValues: ["h1", "h2"].map { (NodeID($0), try agent(NodeID($0))) })
        let check = PossibleOwnerCheck(storage: storage, agents: agents,
                                       capacities: ["h1": NodeCapacity(memoryMiB: 4096, vcpus: 4), "h2": NodeCapacity(memoryMiB: 2048, vcpus: 2)])
        XCTAssertEqual(check.problems(try domain(), on: ["h1", "h2"]), [])
    }

    func testEachProblemNamesItsOwner() throws {
        let arm = HostCapabilities(hostArch: "aarch64", guests: [.init(osType: "hvm", arch: "aarch64", machines: ["virt"], domainTypes: ["kvm"])])
        let old = HostCapabilities(hostArch: "x86_64", guests: [.init(osType: "hvm", arch: "x86_64", machines: ["pc"], domainTypes: ["qemu", "kvm"])])
        let agents: [NodeID: AgentRecord] = [
            "small": try agent("small"),
            "local-dir": try agent("local-dir", writesMarker: false),  // its "shared" directory is not this storage
            "elsewhere": try agent("elsewhere", sharedStorage: "/srv/other"),
            "arm": try agent("arm", capabilities: arm),
            "old-qemu": try agent("old-qemu", capabilities: old),
            "legacy": AgentRecord(node: "legacy", migrationURI: "qemu+tcp://legacy/system"),
        ]
        let check = PossibleOwnerCheck(storage: storage, agents: agents,
                                       capacities: ["small": NodeCapacity(memoryMiB: 512, vcpus: 1)])
        let problems = check.problems(try domain(), on: ["small", "local-dir", "elsewhere", "arm", "old-qemu", "legacy", "ghost"])
        XCTAssertEqual(problems, [
            "arm: runs no hvm guests of architecture x86_64 (offers hvm/aarch64)",
            "elsewhere: uses /srv/other as shared storage, this host \(storage.root)",
            "ghost: no vigild has ever run there (not a cluster node?)",
            "legacy: its vigild publishes no host profile (an older version?)",
            "local-dir: does not see this host's shared storage at \(storage.root) (its marker \(storage.root)/.vigil/hosts/local-dir is missing or different here)",
            "old-qemu: has no machine type 'pc-q35-7.2' for x86_64 (its QEMU is older or built differently)",
            "small: has 512 MiB of memory for VMs; the VM needs 1024 MiB",
            "small: has 1 vCPUs for VMs; the VM needs 2",
        ])
    }

    func testARestartedAgentsNewTokenReplacesItsOldOne() throws {
        let first = try agent("h1")
        let second = try agent("h1")
        XCTAssertNotEqual(first.profile?.storageToken, second.profile?.storageToken)
        let check = PossibleOwnerCheck(storage: storage, agents: ["h1": first], capacities: [:])
        XCTAssertEqual(check.problems(try domain(), on: ["h1"]).count, 1, "a stale record no longer matches the marker")
        XCTAssertEqual(PossibleOwnerCheck(storage: storage, agents: ["h1": second], capacities: [:]).problems(try domain(), on: ["h1"]), [])
    }
}
