import XCTest
@testable import HAAgent

/// Start failures refused by disk locks are told apart from real ones.
final class DiskLockRefusalTests: XCTestCase {
    func testDiskLockRefusalsAreRecognisedByLibvirtsAndQEMUsWords() {
        struct Failure: Error, CustomStringConvertible { let description: String }
        // As libvirt 9 / QEMU 7.2 word them (deploy/lab, ../shared/lab-notes.md).
        XCTAssertTrue(DiskLockRefusal.matches(Failure(description:
            "resource busy: Lockspace resource '5b1d0b7f0c0e4f53a0d6d6b1a5c0e2a97f4b3f1c9d8e7a6b5c4d3e2f1a0b9c8d' is locked")))
        XCTAssertTrue(DiskLockRefusal.matches(Failure(description:
            "internal error: qemu unexpectedly closed the monitor: Failed to get \"write\" lock Is another process using the image [/srv/vigil/vm1.qcow2]?")))
        XCTAssertFalse(DiskLockRefusal.matches(Failure(description: "Cannot access storage file '/srv/vigil/vm1.qcow2': No such file or directory")))
    }
}
