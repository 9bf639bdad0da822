import AgentAPI
import ClusterSchema
import Foundation
import XCTest
@testable import HAAgent

/// Names that become store keys: the rule alone, and `vm add` refusing a bad VM, group or storage
/// name with a clear error and storing nothing.
final class StoreNameTests: XCTestCase {
    func testTheRule() {
        for good in ["web-1", "sql_prod.eu", "Finance VM", "répertoire", String(repeating: "a", count: StoreName.maximumBytes)] {
            XCTAssertNil(StoreName.problem(with: good), good)
        }
        let bad: [(String, String)] = [
            ("", "is empty"), ("a/b", "contains '/'"), ("..", "cannot be '.' or '..'"), (".", "cannot be '.' or '..'"),
            ("../../etc", "contains '/'"), ("tab\there", "contains a control character"), ("nl\n", "contains a control character"),
            ("zero\u{200B}width", "contains a control character"), (" padded", "begins or ends with white space"),
            (String(repeating: "é", count: 101), "is longer than 200 bytes"),
        ]
        for (name, problem) in bad { XCTAssertEqual(StoreName.problem(with: name), problem, name.debugDescription) }
        XCTAssertThrowsError(try StoreName.check("a\u{1}b", as: "group")) { error in
            XCTAssertEqual("\(error)", "group name 'a\\u{01}b' contains a control character")
        }
    }

    func testVMAddRefusesBadNamesAndStoresNothing() async throws {
        let h = try AgentHarness()
        h.start()
        do { try await h.waitForAPI() } catch { await h.stop(); throw error }
        defer { Task { await h.stop() } }
        func add(_ domain: String, group: String? = nil, storage: [StorageRequest]? = nil) async throws -> (Int, String) {
            let disk = "\(h.directory)/shared/vms/disk-\(UUID().uuidString.prefix(6)).img"
            _ = FileManager.default.createFile(atPath: disk, contents: Data(count: 4096))
            let path = "\(h.directory)/shared/vms/\(UUID().uuidString).xml"
            try """
            <domain type='test'><name>\(domain)</name><uuid>\(UUID().uuidString.lowercased())</uuid>
              <memory unit='MiB'>128</memory><os><type>hvm</type></os>
              <devices><disk type='file' device='disk'><source file='\(disk)'/><target dev='vda' bus='virtio'/></disk></devices>
            </domain>
            """.write(toFile: path, atomically: true, encoding: .utf8)
            let answer = try await h.call(.POST, AgentAPI.vms, body: JSONEncoder().encode(AddVMRequest(domain: nil, xmlPath: path, group: group, storage: storage)))
            return (answer.status, (try? JSONDecoder().decode([String: String].self, from: answer.body))?["error"] ?? String(decoding: answer.body, as: UTF8.self))
        }
        let cases: [(domain: String, group: String?, storage: [StorageRequest]?, error: String)] = [
            ("evil/../x", nil, nil, "VM name 'evil/../x' contains '/'"),
            ("fine-vm", "a/b", nil, "group name 'a/b' contains '/'"),
            ("fine-vm", nil, [StorageRequest(name: "..", path: "\(h.directory)/shared")], "storage name '..' cannot be '.' or '..'"),
        ]
        for c in cases {
            let (status, text) = try await add(c.domain, group: c.group, storage: c.storage)
            XCTAssertTrue((400..<500).contains(status), "\(status) \(text)")
            XCTAssertTrue(text.contains(c.error), text)
        }
        let groups = try await h.status().groups.map(\.name)
        XCTAssertEqual(groups, [], "nothing was stored: \(groups)")
    }
}
