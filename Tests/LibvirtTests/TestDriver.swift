import Foundation
@testable import Libvirt

/// Helpers for tests against libvirt's in-process `test:///default` driver.
enum TestDriver {
    static let uri = "test:///default"

    /// A domain name unique in this process (the test driver's state is shared process-wide).
    static func uniqueName(_ prefix: String = "vigil") -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// A minimal domain definition the test driver accepts.
    static func domainXML(name: String, uuid: String? = nil, memoryKiB: Int = 65536, vcpus: Int = 1) -> String {
        """
        <domain type='test'>
          <name>\(name)</name>
          \(uuid.map { "<uuid>\($0)</uuid>" } ?? "")
          <memory unit='KiB'>\(memoryKiB)</memory>
          <vcpu>\(vcpus)</vcpu>
          <os><type>hvm</type></os>
        </domain>
        """
    }

    /// Opens a connection and defines a fresh domain on it.
    static func definedDomain(_ prefix: String = "vigil", vcpus: Int = 1) throws -> (Connection, Domain) {
        let connection = try Connection(uri: uri)
        let domain = try connection.define(xml: domainXML(name: uniqueName(prefix), vcpus: vcpus))
        return (connection, domain)
    }

    /// A temporary file path that does not exist yet.
    static func temporaryPath(_ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("vigil-\(UUID().uuidString)\(suffix)").path
    }
}
