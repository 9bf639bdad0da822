import XCTest
@testable import Libvirt

/// Connection-level calls against libvirt's test driver.
final class ConnectionTests: XCTestCase {
    func testOpensReadWriteAndReportsHost() throws {
        let connection = try Connection(uri: TestDriver.uri)
        XCTAssertTrue(connection.isAlive)
        XCTAssertFalse(try connection.hostname().isEmpty)
        let node = try connection.nodeInfo()
        XCTAssertGreaterThan(node.cpus, 0)
        XCTAssertGreaterThan(node.memoryKiB, 0)
        XCTAssertGreaterThan(try connection.freeMemory(), 0)
        XCTAssertTrue(try connection.capabilities().contains("<capabilities>"))
    }

    func testActiveNetworksAreListedAndADriverWithoutDomainCapabilitiesSaysSo() throws {
        let connection = try Connection(uri: TestDriver.uri)
        XCTAssertEqual(try connection.activeNetworkNames(), ["default"], "the test driver runs one network, 'default'")
        XCTAssertThrowsError(try connection.domainCapabilities(virtType: "qemu")) { error in
            XCTAssertEqual((error as? LibvirtError)?.call, "Connection.domainCapabilities")
        }
    }

    func testVersionsAreLibvirtNine() throws {
        let connection = try Connection(uri: TestDriver.uri)
        let library = try Connection.libraryVersion()
        XCTAssertGreaterThanOrEqual(library.major, 9, "Debian 12 ships libvirt 9")
        XCTAssertEqual(try connection.daemonVersion(), library, "a local driver reports the library's own version")
        XCTAssertEqual(library.description.split(separator: ".").count, 3)
    }

    func testReadOnlyConnectionRefusesWrites() throws {
        let connection = try Connection(uri: TestDriver.uri, readOnly: true)
        XCTAssertTrue(connection.readOnly)
        XCTAssertFalse(try connection.listDomains().isEmpty, "reads work read-only")
        XCTAssertThrowsError(try connection.define(xml: TestDriver.domainXML(name: TestDriver.uniqueName()))) { error in
            let error = error as! LibvirtError
            XCTAssertEqual(error.call, "Connection.define")
            XCTAssertFalse(error.message.isEmpty)
        }
    }

    func testUnknownURIGivesTypedError() {
        XCTAssertThrowsError(try Connection(uri: "nosuchdriver:///x")) { error in
            let error = error as! LibvirtError
            XCTAssertTrue(error.call.contains("nosuchdriver:///x"), "the error names the URI: \(error)")
        }
    }

    func testCloseEndsTheConnectionAndNotifies() async throws {
        let connection = try Connection(uri: TestDriver.uri)
        let closed = try connection.closeNotifications()
        connection.close()
        connection.close()  // idempotent
        XCTAssertFalse(connection.isAlive)
        var reasons: [Connection.CloseReason] = []
        for await reason in closed { reasons.append(reason) }
        XCTAssertEqual(reasons, [.client])
        XCTAssertThrowsError(try connection.hostname()) { error in
            XCTAssertEqual((error as! LibvirtError).code, .connectionClosed)
            XCTAssertEqual((error as! LibvirtError).source, .wrapper)
        }
    }

    func testKeepAliveOnLocalDriverIsReportedUnsupported() throws {
        let connection = try Connection(uri: TestDriver.uri)
        // A local driver has no transport to probe: libvirt answers 1 ("not supported by the other side").
        let supported = try connection.setKeepAlive(interval: 5, count: 3)
        XCTAssertFalse(supported)
    }

    func testCompareCPUIsUnsupportedByTheTestDriver() throws {
        // The real comparison is exercised against QEMU in the lab tests; here the typed error is checked.
        let connection = try Connection(uri: TestDriver.uri)
        XCTAssertThrowsError(try connection.compareCPU(xml: "<cpu><arch>x86_64</arch><model>qemu64</model></cpu>")) { error in
            XCTAssertEqual((error as! LibvirtError).code, .noSupport, "\(error)")
            XCTAssertEqual((error as! LibvirtError).call, "Connection.compareCPU")
        }
    }
}
