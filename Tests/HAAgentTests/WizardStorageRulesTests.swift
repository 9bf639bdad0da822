import AgentAPI
import Foundation
import XCTest
@testable import HAAgent

/// The HA wizard's storage rules over the API of a whole in-process agent: exclusive devices named
/// stably (or image files on shared storage), mount points off shared storage; a VM whose disk lies on
/// a group's exclusive volume joins that group unasked, nested volumes go together, a disk on no
/// storage of the cluster is refused naming the volumes; a block device an owner lacks is refused; an
/// edit that adds a pass-through device to a live-migratable VM is refused and changes nothing.
final class WizardStorageRulesTests: XCTestCase {
    private var h: AgentHarness!
    private let tag = String(UUID().uuidString.prefix(6).lowercased())

    override func setUp() async throws {
        h = try AgentHarness()
        h.start()
        do { try await h.waitForAPI() } catch { await h.stop(); throw error }
    }

    override func tearDown() async throws { await h.stop() }

    /// Writes `name`'s domain XML on shared storage with one file disk at `disk` (created) and `extra` devices.
    private func domain(_ name: String, disk: String, extra: String = "") throws -> String {
        try FileManager.default.createDirectory(atPath: (disk as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: disk, contents: Data(count: 4096))
        let path = "\(h.directory)/shared/vms/\(name).xml"
        try Self.xml(name, disk: disk, extra: extra).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A test-driver domain with one file disk at `disk` and `extra` devices.
    static func xml(_ name: String, disk: String, extra: String = "", uuid: String? = nil) -> String {
        """
        <domain type='test'>
          <name>\(name)</name>
          <uuid>\(uuid ?? UUID().uuidString.lowercased())</uuid>
          <memory unit='MiB'>128</memory>
          <os><type>hvm</type></os>
          <devices>
            <disk type='file' device='disk'><source file='\(disk)'/><target dev='vda' bus='virtio'/></disk>
            \(extra)
          </devices>
        </domain>
        """
    }

    /// Adds (or with `check` validates) a VM; the status and the agent's message (error, or accepted text and warnings).
    private func add(_ name: String, xml: String, storage: [StorageRequest] = [], check: Bool = false) async throws -> (status: Int, text: String) {
        let request = AddVMRequest(domain: name, xmlPath: xml, priority: "noAutoStart", storage: storage)
        let answer = try await h.call(.POST, check ? AgentAPI.checkVM : AgentAPI.vms, body: JSONEncoder().encode(request))
        return (answer.status, Self.text(answer.body))
    }

    private static func text(_ body: Data) -> String {
        if let error = try? JSONDecoder().decode(APIError.self, from: body) { return error.error }
        if let accepted = try? JSONDecoder().decode(Accepted.self, from: body) {
            return ([accepted.accepted] + (accepted.warnings ?? [])).joined(separator: " | ")
        }
        return String(decoding: body, as: UTF8.self)
    }

    private func image(_ name: String) -> String {
        let path = "\(h.directory)/shared/\(name).img"
        _ = FileManager.default.createFile(atPath: path, contents: Data(count: 4096))
        return path
    }

    private func groups() async throws -> [String: [String]] {
        Dictionary(uniqueKeysWithValues: try await h.status().groups.map { ($0.name, $0.vms.sorted()) })
    }

    func testExclusiveDevicesAndMountPointsAreCheckedBeforeAnythingIsStored() async throws {
        let vm = "dev-\(tag)"
        let xml = try domain(vm, disk: "\(h.directory)/shared/vms/\(vm).img")
        let mount = "\(h.directory)/mnt/\(vm)"
        let cases: [(StorageRequest, String)] = [
            (StorageRequest(name: "lun-\(tag)", device: "/dev/sdb", mountPoint: mount),
             "storage lun-\(tag): device /dev/sdb may name another device after a reboot or on another host; name it under /dev/disk/by-id"),
            (StorageRequest(name: "lun-\(tag)", device: "/tmp/elsewhere-\(tag).img", mountPoint: mount),
             "storage lun-\(tag): image file /tmp/elsewhere-\(tag).img is not on shared storage"),
            (StorageRequest(name: "lun-\(tag)", device: "\(h.directory)/shared/absent.img", mountPoint: mount),
             "storage lun-\(tag): image file \(h.directory)/shared/absent.img does not exist"),
            (StorageRequest(name: "lun-\(tag)", device: image("lun-\(tag)"), mountPoint: "\(h.directory)/shared/mnt"),
             "storage lun-\(tag): mount point \(h.directory)/shared/mnt lies on shared storage"),
            (StorageRequest(name: "lun-\(tag)", device: image("lun-\(tag)"), mountPoint: h.directory),
             "storage lun-\(tag): mount point \(h.directory) holds shared storage"),
        ]
        for (storage, expected) in cases {
            let answer = try await add(vm, xml: xml, storage: [storage])
            XCTAssertEqual(answer.status, 400, answer.text)
            XCTAssertTrue(answer.text.contains(expected), "expected '\(expected)' in: \(answer.text)")
        }
        let missing = "/dev/disk/by-id/vigil-absent-\(tag)"
        let unseen = try await add(vm, xml: xml, storage: [StorageRequest(name: "lun-\(tag)", device: missing, mountPoint: mount)])
        XCTAssertEqual(unseen.status, 400, unseen.text)
        XCTAssertTrue(unseen.text.contains("solo: block device \(missing) does not exist there; present the LUN to that host too"), unseen.text)
        let stored = try await groups()
        XCTAssertNil(stored[vm], "nothing refused was stored")
    }

    func testVMsOnAGroupsVolumeJoinItAndNestedVolumesGoTogether() async throws {
        let mountA = "\(h.directory)/mnt/a-\(tag)"
        let lunA = StorageRequest(name: "luna-\(tag)", device: image("luna-\(tag)"), mountPoint: mountA)
        let first = "first-\(tag)"
        let added = try await add(first, xml: try domain(first, disk: "\(mountA)/\(first).img"), storage: [lunA])
        XCTAssertEqual(added.status, 201, added.text)

        // Its disk lies on luna: the VM joins first's group without naming the volume.
        let second = "second-\(tag)"
        let secondXML = try domain(second, disk: "\(mountA)/disks/\(second).img")
        let checked = try await add(second, xml: secondXML, check: true)
        XCTAssertEqual(checked.status, 200, checked.text)
        XCTAssertTrue(checked.text.contains("it would join group \(first) with \(first) (a group's VMs move together)"), checked.text)
        XCTAssertTrue(checked.text.contains("VM \(second) uses storage luna-\(tag) (holds \(mountA)/disks/\(second).img) of group \(first)"), checked.text)
        let joined = try await add(second, xml: secondXML)
        XCTAssertEqual(joined.status, 201, joined.text)

        // A new volume mounted inside luna's mount point can only be mounted where luna is: same group.
        let mountB = "\(mountA)/nested-\(tag)"
        let lunB = StorageRequest(name: "lunb-\(tag)", device: image("lunb-\(tag)"), mountPoint: mountB)
        let third = "third-\(tag)"
        let nested = try await add(third, xml: try domain(third, disk: "\(mountB)/\(third).img"), storage: [lunB])
        XCTAssertEqual(nested.status, 201, nested.text)
        XCTAssertTrue(nested.text.contains("VM \(third) uses storage luna-\(tag) (its mount point \(mountA) and lunb-\(tag)'s \(mountB) are nested)"), nested.text)
        let stored = try await groups()
        XCTAssertEqual(stored[first], [first, second, third].sorted())
        let spec = try await h.status().groups.first { $0.name == first }
        XCTAssertEqual(spec?.moveMethods, ["quick", "cold"], "exclusive volumes: no live migration")

        // A disk on no storage of the cluster: refused, naming shared storage and the volumes.
        let stray = "stray-\(tag)"
        let refused = try await add(stray, xml: try domain(stray, disk: "\(h.directory)/local/\(stray).img"))
        XCTAssertEqual(refused.status, 400, refused.text)
        XCTAssertTrue(refused.text.contains("disk vda \(h.directory)/local/\(stray).img lies neither on shared storage (\(SharedStorage(root: h.directory + "/shared").root)) nor on a storage volume of its group"), refused.text)
        XCTAssertTrue(refused.text.contains(mountA), refused.text)
    }

    func testAnEditThatAddsAPassThroughDeviceToAMigratableVMIsRefused() async throws {
        let vm = "edit-\(tag)"
        let disk = "\(h.directory)/shared/vms/\(vm).img"
        let path = try domain(vm, disk: disk)
        let added = try await add(vm, xml: path)
        XCTAssertEqual(added.status, 201, added.text)
        let before = try String(contentsOfFile: path, encoding: .utf8)
        let uuid = try XCTUnwrap(before.range(of: "<uuid>").map { before[$0.upperBound...].prefix(36) }).description
        let pci = "<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/></source></hostdev>"
        let answer = try await h.call(.PUT, AgentAPI.vm(vm), body: JSONEncoder().encode(EditVMRequest(xml: Self.xml(vm, disk: disk, extra: pci, uuid: uuid))))
        let text = Self.text(answer.body)
        XCTAssertEqual(answer.status, 400, text)
        XCTAssertTrue(text.contains("the edited XML of VM \(vm) is refused, \(path) is unchanged: it passes through PCI device 0000:06:12.5"), text)
        XCTAssertTrue(text.contains("--move-methods cold"), text)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), before, "the stored XML is unchanged")
    }
}
