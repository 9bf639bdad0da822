import ClusterSchema
import Foundation
import HACore
import Libvirt
import XCTest
@testable import HAAgent

/// Groups online and offline in dependency order, and quick migration, on libvirt's test driver.
final class GroupRunnerTests: XCTestCase {
    func testOnlineDefinesAndStartsThenOfflineUndefines() async throws {
        let fixture = try ResourceFixture()
        try fixture.writeDomain()
        let group = try fixture.group()
        let runner = fixture.runner()
        let outcomes = try runner.online(group)
        XCTAssertEqual(outcomes[ResourceID(fixture.domain)], .started)
        XCTAssertEqual(try fixture.hypervisor.state(of: fixture.domain), .running)
        XCTAssertEqual(try fixture.hypervisor.connection.lookup(name: fixture.domain).autostart(), false)
        // A second online (e.g. after an agent restart) adopts the running domain.
        XCTAssertEqual(try runner.online(group)[ResourceID(fixture.domain)], .adopted)
        try runner.offline(group, deadline: .seconds(2))
        XCTAssertNil(try fixture.hypervisor.state(of: fixture.domain), "offline leaves no definition behind")
    }

    func testFailingConfigurationStopsBeforeTheVM() throws {
        let fixture = try ResourceFixture()
        try fixture.writeDomain(diskPath: "\(fixture.storage.root)/vms/absent.img")
        XCTAssertThrowsError(try fixture.runner().online(try fixture.group())) { error in
            let error = error as! GroupActionError
            XCTAssertEqual(error.resource, ResourceID("\(fixture.domain)-config"))
            XCTAssertTrue(error.reason.contains("absent.img"), error.reason)
        }
        XCTAssertNil(try fixture.hypervisor.state(of: fixture.domain), "the VM was never defined")
    }

    func testUnboundStorageIsNamed() throws {
        let fixture = try ResourceFixture()
        try fixture.writeDomain()
        XCTAssertThrowsError(try fixture.runner().online(try fixture.group(storage: "lun1"))) { error in
            XCTAssertEqual((error as! GroupActionError).resource, "lun1")
            XCTAssertTrue("\(error)".contains("no device or path configured"), "\(error)")
        }
    }

    func testQuickMigrationSavesToSharedStorageAndRestores() throws {
        let fixture = try ResourceFixture()
        try fixture.writeDomain()
        let group = try fixture.group()
        let runner = fixture.runner()
        try runner.online(group)
        try runner.saveForQuickMigration(group)
        XCTAssertNil(try fixture.hypervisor.state(of: fixture.domain), "the source keeps no definition")
        XCTAssertTrue(FileManager.default.fileExists(atPath: fixture.storage.saveImagePath(for: fixture.domain)))
        // The test driver is one host; restoring on "another" host is proven on QEMU in the lab tests.
        try runner.restoreFromQuickMigration(group)
        XCTAssertEqual(try fixture.hypervisor.state(of: fixture.domain), .running)
        XCTAssertTrue(try fixture.hypervisor.connection.lookup(name: fixture.domain).isPersistent())
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.storage.saveImagePath(for: fixture.domain)), "image removed")
    }

    func testExclusiveStorageIsMountedOnlineAndReleasedOffline() async throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a loop device needs root; make test runs as root") }
        let fixture = try ResourceFixture()
        let image = "\(fixture.storage.root)/lun1.img"
        let mountPoint = "\(fixture.storage.root)/mnt/lun1"
        _ = FileManager.default.createFile(atPath: image, contents: nil)
        try FileHandle(forWritingAtPath: image)!.truncate(atOffset: 16 << 20)
        try Command.run("/usr/sbin/mkfs.ext4", "-q", "-F", image)
        try fixture.writeDomain()
        let group = try fixture.group(storage: "lun1")
        let runner = fixture.runner(bindings: ["lun1": .exclusive(device: image, mountPoint: mountPoint)])
        try runner.online(group)
        XCTAssertTrue(try StorageResource.exclusive(device: image, mountPoint: mountPoint).isOnline())
        try runner.offline(group, deadline: .seconds(1))
        XCTAssertFalse(try StorageResource.exclusive(device: image, mountPoint: mountPoint).isOnline())
    }
}
