import Dispatch
import Synchronization
import XCTest
@testable import Libvirt

/// `ConnectionPool`: no two calls in flight ever share a connection; idle ones are reused, dead ones
/// dropped, and no more than the cap kept open.
final class ConnectionPoolTests: XCTestCase {
    func testCallsInFlightAtOnceEachHaveAConnectionOfTheirOwn() throws {
        let pool = ConnectionPool(uri: "test:///default", maximumIdle: 3)
        let inside = Mutex<[ObjectIdentifier]>([])
        let allInside = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let callers = 8
        let done = DispatchGroup()
        for _ in 0..<callers {
            done.enter()
            Thread {  // threads of their own: they all block at once
                defer { done.leave() }
                try? pool.withConnection { connection in
                    _ = try connection.listDomains()
                    if inside.withLock({ $0.append(ObjectIdentifier(connection)); return $0.count }) == callers { allInside.signal() }
                    release.wait()
                }
            }.start()
        }
        XCTAssertEqual(allInside.wait(timeout: .now() + 20), .success, "every caller got a connection while the others held theirs")
        for _ in 0..<callers { release.signal() }
        XCTAssertEqual(done.wait(timeout: .now() + 20), .success)
        XCTAssertEqual(Set(inside.withLock { $0 }).count, callers, "no connection served two calls at once")
        XCTAssertEqual(pool.idleCount, 3, "idle connections beyond the cap are closed")
    }

    func testAnIdleConnectionIsReusedAndAClosedOneDropped() throws {
        let pool = ConnectionPool(uri: "test:///default")
        let first = try pool.withConnection { $0 }
        let second = try pool.withConnection { $0 }
        XCTAssertTrue(first === second, "one call after another reuses the idle connection")
        try pool.withConnection { $0.close() }
        XCTAssertEqual(pool.idleCount, 0, "a connection no longer alive is not kept")
        let third = try pool.withConnection { $0 }  // `first` still held: a new object cannot take its address
        XCTAssertTrue(third.isAlive)
        XCTAssertFalse(third === first, "the next call opens a fresh connection")
    }

    func testAnOpenThatFailsIsTheCallsError() {
        let pool = ConnectionPool(uri: "test:///no/such/file.xml")
        XCTAssertThrowsError(try pool.withConnection { _ in }) { error in
            XCTAssertTrue("\(error)".contains("no/such/file.xml") || "\(error)".contains("No such file"), "\(error)")
        }
    }
}
