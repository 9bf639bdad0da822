import XCTest
@testable import Libvirt

/// Save to a file, restore (with an XML override) and managed save on libvirt's test driver.
final class SaveRestoreTests: XCTestCase {
    func testSaveAndRestore() throws {
        let (connection, domain) = try TestDriver.definedDomain()
        defer { try? connection.lookup(name: domain.name).undefine([.managedSave]) }
        try domain.create()
        let path = TestDriver.temporaryPath(".save")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try domain.save(to: path)
        XCTAssertEqual(try domain.state().shutOffReason, .saved)
        XCTAssertTrue(try connection.saveImageXML(path: path).contains("<name>\(domain.name)</name>"))
        // The test driver accepts no XML override or flags; both are exercised against QEMU in the lab tests.
        let restored = try connection.restore(from: path)
        XCTAssertEqual(restored.name, domain.name)
        XCTAssertEqual(try restored.state().state, .running)
    }

    func testRestoreFromMissingFileNamesThePath() throws {
        let connection = try Connection(uri: TestDriver.uri)
        let path = TestDriver.temporaryPath(".missing")
        XCTAssertThrowsError(try connection.restore(from: path)) { error in
            XCTAssertTrue((error as! LibvirtError).description.contains(path), "\(error)")
        }
    }

    func testManagedSave() throws {
        let (_, domain) = try TestDriver.definedDomain()
        defer { try? domain.undefine([.managedSave]) }
        try domain.create()
        try domain.managedSave()
        XCTAssertTrue(try domain.hasManagedSaveImage())
        XCTAssertFalse(try domain.isActive())
        try domain.removeManagedSaveImage()
        XCTAssertFalse(try domain.hasManagedSaveImage())
    }

    func testMigrationOnTestDriverIsATypedError() throws {
        // The test driver cannot migrate; real migration is proven on QEMU in the lab tests.
        let (connection, domain) = try TestDriver.definedDomain()
        defer { try? domain.undefine() }
        try domain.create()
        defer { try? domain.destroy() }
        XCTAssertThrowsError(try domain.migrate(to: connection, flags: [.live], parameters: .init(bandwidthMiBps: 10))) { error in
            XCTAssertEqual((error as! LibvirtError).code, .noSupport, "\(error)")
        }
        XCTAssertThrowsError(try domain.jobInfo()) { error in
            XCTAssertEqual((error as! LibvirtError).code, .noSupport, "\(error)")
        }
    }
}
