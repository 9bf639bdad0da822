import AgentAPI
import Foundation
import XCTest
@testable import HAAgent

/// The wizard's per-disk verdict through the agent's API (`vm validate` and `vm add`): a host-local
/// disk is refused with the VM, the disk and the fix, and nothing is stored; an empty CD-ROM passes.
final class WizardDiskVerdictAPITests: XCTestCase {
    /// Writes `name`'s domain XML on the agent's shared storage: one shared file disk plus `extra` disks.
    private func writeDomain(_ h: AgentHarness, _ name: String, extra: String) throws -> String {
        let disk = "\(h.directory)/shared/vms/\(name).img"
        _ = FileManager.default.createFile(atPath: disk, contents: Data(count: 4096))
        let xml = WizardStorageRulesTests.xml(name, disk: disk, extra: extra)
        let path = "\(h.directory)/shared/vms/\(name).xml"
        try xml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testHostLocalDiskRefusedEmptyCDROMAccepted() async throws {
        let h = try AgentHarness()
        h.start()
        do { try await h.waitForAPI() } catch { await h.stop(); throw error }
        defer { Task { await h.stop() } }

        let local = "vhost-\(UUID().uuidString.prefix(6).lowercased())"
        let localXML = try writeDomain(h, local, extra: """
            <disk type='vhostuser' device='disk'><source type='unix' path='/run/spdk/vhost.0'/><target dev='vdb' bus='virtio'/></disk>
            <disk type='file' device='cdrom'><source startupPolicy='optional'/><target dev='sdc' bus='sata'/><readonly/></disk>
            """)
        for path in [AgentAPI.checkVM, AgentAPI.vms] {
            let answer = try await h.call(.POST, path, body: JSONEncoder().encode(AddVMRequest(domain: local, xmlPath: localXML)))
            let text = (try? JSONDecoder().decode([String: String].self, from: answer.body))?["error"]
                ?? String(decoding: answer.body, as: UTF8.self)
            XCTAssertTrue((400..<500).contains(answer.status), "\(path): \(answer.status) \(text)")
            XCTAssertTrue(text.contains("VM \(local) cannot be highly available: its disk vdb is a vhost-user disk served through socket /run/spdk/vhost.0"), text)
            XCTAssertTrue(text.contains("move the disk's data to shared storage"), text)
            XCTAssertFalse(text.contains("sdc"), "the empty CD-ROM is no problem: \(text)")
        }
        let groups = try await h.status().groups.map(\.name)
        XCTAssertFalse(groups.contains(local), "a refused VM is not stored")

        let cdrom = "cdrom-\(UUID().uuidString.prefix(6).lowercased())"
        let cdromXML = try writeDomain(h, cdrom, extra: """
            <disk type='file' device='cdrom'><source startupPolicy='optional'/><target dev='sdc' bus='sata'/><readonly/></disk>
            <disk type='file' device='cdrom'><target dev='sdd' bus='sata'/><readonly/></disk>
            """)
        let checked = try await h.call(.POST, AgentAPI.checkVM, body: JSONEncoder().encode(AddVMRequest(domain: cdrom, xmlPath: cdromXML)))
        XCTAssertTrue((200..<300).contains(checked.status), String(decoding: checked.body, as: UTF8.self))
        XCTAssertTrue(String(decoding: checked.body, as: UTF8.self).contains("VM \(cdrom) passes every check"))
    }
}
