import XCTest
@testable import Libvirt

/// Define, start, stop, suspend, undefine and inspect domains on libvirt's test driver.
final class DomainLifecycleTests: XCTestCase {
    func testDefineLookupListAndUndefine() throws {
        let (connection, domain) = try TestDriver.definedDomain()
        let name = domain.name
        XCTAssertEqual(try connection.lookup(name: name).uuid, domain.uuid)
        XCTAssertEqual(try connection.lookup(uuid: domain.uuid).name, name)
        XCTAssertTrue(try connection.listDomains(.inactive).contains { $0.name == name })
        XCTAssertFalse(try connection.listDomains(.active).contains { $0.name == name })
        XCTAssertTrue(try domain.isPersistent())
        XCTAssertNil(domain.id, "an inactive domain has no hypervisor id")
        try domain.undefine([.managedSave, .snapshotsMetadata])
        XCTAssertNil(try connection.domainIfExists(name: name))
        XCTAssertThrowsError(try connection.lookup(name: name)) { error in
            XCTAssertEqual((error as! LibvirtError).code, .noDomain)
            XCTAssertTrue((error as! LibvirtError).call.contains(name), "the error names the domain")
        }
    }

    func testGuestAgentCallsOnTheTestDriver() throws {
        let (_, domain) = try TestDriver.definedDomain()
        defer { try? domain.undefine() }
        try domain.create()
        defer { try? domain.destroy() }
        // The test driver answers guest-agent time queries with a fixed clock of its own.
        XCTAssertGreaterThan(try domain.guestTime().seconds, 0)
        // It has no agent timeout; the error names the call (the agent probe then does not run).
        XCTAssertThrowsError(try domain.setGuestAgentTimeout(seconds: 5)) { error in
            XCTAssertEqual((error as! LibvirtError).code, .noSupport)
            XCTAssertEqual((error as! LibvirtError).call, "Domain.setGuestAgentTimeout")
        }
    }

    func testStartStateInfoSuspendResumeDestroy() throws {
        let (_, domain) = try TestDriver.definedDomain(vcpus: 2)
        defer { try? domain.undefine() }
        XCTAssertEqual(try domain.state().state, .shutOff)
        try domain.create()
        XCTAssertTrue(try domain.isActive())
        XCTAssertNotNil(domain.id)
        let info = try domain.info()
        XCTAssertEqual(info.state, .running)
        XCTAssertEqual(info.vcpus, 2)
        XCTAssertEqual(info.maxMemoryKiB, 65536)
        try domain.suspend()
        XCTAssertEqual(try domain.state().state, .paused)
        try domain.resume()
        XCTAssertEqual(try domain.state().state, .running)
        try domain.destroy()
        let stopped = try domain.state()
        XCTAssertEqual(stopped.state, .shutOff)
        XCTAssertEqual(stopped.shutOffReason, .destroyed)
        XCTAssertThrowsError(try domain.resume(), "a stopped domain cannot be resumed") { error in
            XCTAssertEqual((error as! LibvirtError).call, "Domain.resume")
        }
    }

    func testShutdownWithDeadline() async throws {
        let (_, domain) = try TestDriver.definedDomain()
        defer { try? domain.undefine() }
        let offAlready = try await domain.shutdown(deadline: .seconds(1))
        XCTAssertEqual(offAlready, .alreadyOff)
        try domain.create()
        // The test driver's guests obey ACPI shutdown at once.
        let outcome = try await domain.shutdown(deadline: .seconds(2))
        XCTAssertEqual(outcome, .shutDown)
        XCTAssertEqual(try domain.state().shutOffReason, .shutdown)
    }

    func testXMLDescriptionFlags() throws {
        let (_, domain) = try TestDriver.definedDomain()
        defer { try? domain.undefine() }
        let live = try domain.xmlDescription()
        XCTAssertTrue(live.contains("<name>\(domain.name)</name>"))
        XCTAssertTrue(try domain.xmlDescription([.inactive, .secure]).contains(domain.uuid))
        XCTAssertTrue(try domain.xmlDescription(.migratable).contains("<domain"))
    }

    func testAutostart() throws {
        let (_, domain) = try TestDriver.definedDomain()
        defer { try? domain.undefine() }
        try domain.setAutostart(true)
        XCTAssertTrue(try domain.autostart())
        try domain.setAutostart(false)
        XCTAssertFalse(try domain.autostart())
    }

    func testMalformedXMLIsATypedError() throws {
        let connection = try Connection(uri: TestDriver.uri)
        XCTAssertThrowsError(try connection.define(xml: "<domain type='test'><name>broken")) { error in
            let error = error as! LibvirtError
            XCTAssertEqual(error.call, "Connection.define")
            XCTAssertTrue([.xmlError, .xmlDetail, .internalError].contains(error.code), "\(error)")
        }
    }

    func testRedefineKeepsUUIDAndUpdates() throws {
        let (connection, domain) = try TestDriver.definedDomain()
        defer { try? domain.undefine() }
        let updated = try connection.define(xml: TestDriver.domainXML(name: domain.name, uuid: domain.uuid, memoryKiB: 131072))
        XCTAssertEqual(updated.uuid, domain.uuid)
        XCTAssertEqual(try updated.info().maxMemoryKiB, 131072)
    }
}
