import XCTest
@testable import Libvirt

/// libvirt's error numbers and error domains arrive as the typed values callers match on.
final class LibvirtErrorTests: XCTestCase {
    func testMissingDomainIsNoDomainFromTheTestDriver() throws {
        let connection = try Connection(uri: TestDriver.uri)
        XCTAssertThrowsError(try connection.lookup(name: TestDriver.uniqueName("missing"))) { error in
            XCTAssertEqual((error as? LibvirtError)?.code, .noDomain, "\(error)")
            XCTAssertEqual((error as? LibvirtError)?.source, .test, "\(error)")
        }
    }

    func testDestroyingAStoppedDomainIsOperationInvalid() throws {
        // What `Domain.shutdown(deadline:)` matches on when the guest stopped by itself meanwhile.
        let (_, domain) = try TestDriver.definedDomain()
        defer { try? domain.undefine() }
        XCTAssertThrowsError(try domain.destroy()) { error in
            XCTAssertEqual((error as? LibvirtError)?.code, .operationInvalid, "\(error)")
        }
    }

    func testWriteOnAReadOnlyConnectionIsOperationDenied() throws {
        let connection = try Connection(uri: TestDriver.uri, readOnly: true)
        XCTAssertThrowsError(try connection.define(xml: TestDriver.domainXML(name: TestDriver.uniqueName()))) { error in
            XCTAssertEqual((error as? LibvirtError)?.code, .operationDenied, "\(error)")
        }
    }

    func testNamedCodesAreLibvirtsNumbers() {
        // A few values from libvirt's virterror.h, so a wrong constant cannot go unnoticed.
        XCTAssertEqual(LibvirtError.Code.noDomain.rawValue, 42)
        XCTAssertEqual(LibvirtError.Code.operationInvalid.rawValue, 55)
        XCTAssertEqual(LibvirtError.Code.operationTimeout.rawValue, 68)
        XCTAssertEqual(LibvirtError.Code.resourceBusy.rawValue, 87)
        XCTAssertEqual(LibvirtError.Source.qemu.rawValue, 10)
        XCTAssertEqual(LibvirtError.Source.locking.rawValue, 42)
        XCTAssertLessThan(LibvirtError.Code.connectionClosed.rawValue, 0, "the wrapper's own codes never collide with libvirt's")
    }
}
