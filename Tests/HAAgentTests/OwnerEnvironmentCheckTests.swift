import AgentAPI
import ClusterSchema
import DomainXML
import HACore
import XCTest
@testable import HAAgent

/// The HA wizard's network, CPU and device checks against each possible owner's published inventory:
/// each error and warning at least once, and the move methods a pass-through device leaves.
final class OwnerEnvironmentCheckTests: XCTestCase {
    private let qemu = DomainCapabilities(usableCPUModels: ["qemu64", "Skylake-Server"], unusableCPUModels: ["EPYC-Milan"], hostPassthrough: true)

    private func profile(cpu: String = "Skylake-Server-IBRS", networks: Set<String>? = ["default"], bridges: Set<String> = ["br0"],
                         caps: DomainCapabilities? = nil, pci: Set<String> = [], usb: Set<String> = [], inventory: Bool = true) -> HostProfile {
        HostProfile(capabilities: HostCapabilities(hostArch: "x86_64", hostCPUModel: cpu, guests: []), sharedStorage: "/shared",
                    storageToken: "t",
                    inventory: inventory ? HostInventory(networks: networks, bridges: bridges, domainCapabilities: ["kvm": caps ?? qemu],
                                                         pciDevices: pci, usbDevices: usb) : nil)
    }

    private func domain(_ inner: String) throws -> DomainDefinition {
        try DomainDefinition(xml: "<domain type='kvm'><name>web</name><memory>1048576</memory>\(inner)</domain>")
    }

    func testAVMWhoseEveryAttachmentEachOwnerHasPasses() throws {
        let check = OwnerEnvironmentCheck(profiles: ["h1": profile(pci: ["0000:06:12.5"]), "h2": profile(pci: ["0000:06:12.5"])])
        let vm = try domain("""
            <cpu mode='custom'><model>Skylake-Server</model></cpu>
            <devices><interface type='network'><source network='default'/></interface>
            <interface type='bridge'><source bridge='br0'/></interface>
            <hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/></source></hostdev></devices>
            """)
        XCTAssertEqual(check.problems(vm, on: "h1"), [])
        XCTAssertEqual(check.problems(vm, on: "h2"), [])
        XCTAssertEqual(check.warnings(vm, on: ["h1", "h2"]), [
            "VM web passes through PCI device 0000:06:12.5: QEMU can neither live-migrate nor save such a guest, so it moves cold only (shut down, then started on the target)",
        ])
    }

    func testEachMissingAttachmentIsAProblemNamingItAndTheFix() throws {
        let check = OwnerEnvironmentCheck(profiles: ["h2": profile(networks: ["default"], bridges: [])])
        let vm = try domain("""
            <cpu><model>EPYC-Milan</model></cpu>
            <devices><interface type='network'><mac address='52:54:00:aa:bb:01'/><source network='storage-net'/></interface>
            <interface type='bridge'><source bridge='br-prod'/></interface>
            <hostdev mode='subsystem' type='pci'><source><address bus='0x3b' slot='0x00' function='0x1'/></source></hostdev>
            <hostdev mode='subsystem' type='usb'><source><vendor id='0x0529'/><product id='0x0001'/></source></hostdev></devices>
            """)
        XCTAssertEqual(check.problems(vm, on: "h2"), [
            "interface 52:54:00:aa:bb:01 attaches to libvirt network storage-net, which is not active there; define and start it there (virsh net-define, net-start, net-autostart) or take h2 off the possible owners",
            "an interface attaches to bridge br-prod, which that host does not have; create it there or take h2 off the possible owners",
            "CPU model EPYC-Milan is not usable on that host's CPU (its CPU: Skylake-Server-IBRS); choose a model every possible owner offers (virsh domcapabilities lists them), or mode='host-model'",
            "the VM passes through PCI device 0000:3b:00.1, which that host does not have; every possible owner needs the device at the same address",
            "the VM passes through USB device 0529:0001, which is not plugged into that host",
        ])
        XCTAssertEqual(check.problems(try domain("<cpu><model>Made-Up</model></cpu>"), on: "h2"),
                       ["libvirt there knows no CPU model Made-Up; choose one of the models virsh domcapabilities lists on every possible owner"])
        let tcg = OwnerEnvironmentCheck(profiles: ["h3": profile(caps: DomainCapabilities(usableCPUModels: ["qemu64"], hostPassthrough: false))])
        XCTAssertEqual(tcg.problems(try domain("<cpu mode='host-passthrough'/>"), on: "h3"),
                       ["CPU mode host-passthrough is not offered for domain type kvm there; use mode='host-model' or a custom model"])
    }

    func testPossibleOwnerCheckPrefixesTheEnvironmentProblemsWithTheNode() throws {
        let check = PossibleOwnerCheck(storage: SharedStorage(root: "/shared"), agents: [
            "h2": AgentRecord(node: "h2", migrationURI: "qemu+tcp://h2/system", profile: profile(bridges: [])),
        ], capacities: [:])
        let problems = check.problems(try domain("<devices><interface type='bridge'><source bridge='br0'/></interface></devices>"), on: ["h2"])
        XCTAssertTrue(problems.contains("h2: an interface attaches to bridge br0, which that host does not have; create it there or take h2 off the possible owners"),
                      "\(problems)")
    }

    func testWarningsForDifferentCPUsUnstableUSBAndOwnersThatCannotSay() throws {
        let check = OwnerEnvironmentCheck(profiles: [
            "h1": profile(cpu: "Skylake-Server-IBRS"), "h2": profile(cpu: "EPYC-Rome"),
            "h3": profile(cpu: "EPYC-Rome", networks: nil), "old": profile(inventory: false),
        ])
        let vm = try domain("""
            <cpu mode='host-passthrough'/>
            <devices><interface type='network'><source network='default'/></interface>
            <hostdev mode='subsystem' type='usb'><source><address bus='1' device='4'/></source></hostdev></devices>
            """)
        XCTAssertEqual(check.warnings(vm, on: ["h1", "h2", "h3", "old"]), [
            "old: vigild publishes no inventory there (an older version), so VM web's networks, CPU model and devices were not checked there; upgrade it and check again",
            "h3: libvirt does not list its networks, so VM web's networks were not checked there",
            "VM web uses CPU mode host-passthrough and its possible owners' CPUs differ (EPYC-Rome on h2, h3; Skylake-Server-IBRS on h1, old): the guest sees a different CPU on each, so live migration between them is refused or can crash it; failover (a cold start) is not affected. For live moves use a custom CPU model every owner offers",
            "VM web passes through USB device at bus 1 device 4: bus and device numbers change when it is replugged and differ between hosts; name it by vendor and product",
        ])
        XCTAssertEqual(check.problems(vm, on: "old"), [], "an owner without an inventory is warned about, not refused")
        let sameCPU = OwnerEnvironmentCheck(profiles: ["h2": profile(cpu: "EPYC-Rome"), "h3": profile(cpu: "EPYC-Rome")])
        XCTAssertEqual(sameCPU.warnings(try domain("<cpu mode='host-model'/>"), on: ["h2", "h3"]), [], "identical CPUs: nothing to say")
    }

    func testTheWizardsReportGivesEachOwnerItsOwnProblemsAndWarnings() throws {
        let check = PossibleOwnerCheck(storage: SharedStorage(root: "/shared"), agents: [
            "h2": AgentRecord(node: "h2", migrationURI: "qemu+tcp://h2/system", profile: profile(bridges: [])),
            "old": AgentRecord(node: "old", migrationURI: "qemu+tcp://old/system", profile: profile(inventory: false)),
        ], capacities: [:])
        let vm = try domain("<devices><interface type='bridge'><source bridge='br0'/></interface></devices>")
        let report = check.report(vm, on: ["old", "h2", "gone"])
        XCTAssertEqual(report.owners.map(\.node), ["gone", "h2", "old"], "every owner, by name")
        XCTAssertEqual(report.owners[0].problems, ["no vigild has ever run there (not a cluster node?)"])
        XCTAssertEqual(report.owners[1].problems.first { $0.contains("br0") },
                       "an interface attaches to bridge br0, which that host does not have; create it there or take h2 off the possible owners")
        XCTAssertEqual(report.owners[1].warnings, [])
        XCTAssertEqual(report.owners[2].warnings.count, 1)
        XCTAssertTrue(report.owners[2].warnings[0].hasPrefix("vigild publishes no inventory there"), "the older owner's own warning")
        XCTAssertEqual(report.warnings, [], "nothing concerns the VM on every owner")
        XCTAssertEqual(check.problems(vm, on: ["old", "h2", "gone"]),
                       report.owners.flatMap { o in o.problems.map { "\(o.node): \($0)" } }, "the API's one-line message says the same")
    }

    func testAPassThroughPCIDeviceLeavesColdMovesOnly() throws {
        let pinned = try domain("<devices><hostdev mode='subsystem' type='pci'><source><address bus='0x06' slot='0x12' function='0x5'/></source></hostdev></devices>")
        XCTAssertEqual(try APIServer.moveMethods(nil, for: pinned), [.cold])
        XCTAssertEqual(try APIServer.moveMethods(["cold"], for: pinned), [.cold])
        XCTAssertThrowsError(try APIServer.moveMethods(["live", "cold"], for: pinned)) { error in
            XCTAssertEqual("\(error)", "VM web passes through PCI device 0000:06:12.5: QEMU cannot live-migrate it, so it can move cold only (use --move-methods cold)")
        }
        let usbOnly = try domain("<devices><hostdev mode='subsystem' type='usb'><source><vendor id='0x0529'/><product id='0x0001'/></source></hostdev></devices>")
        XCTAssertEqual(try APIServer.moveMethods(nil, for: usbOnly), MoveMethod.allCases)
        XCTAssertThrowsError(try APIServer.moveMethods(["teleport"], for: usbOnly))
    }
}
