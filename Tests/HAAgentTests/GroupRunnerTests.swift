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
        XCTAssertEqual(try fixture.hypervisor.withConnection { try $0.lookup(name: fixture.domain).autostart() }, false)
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

    /// The record the source writes after its save: the move's images, phase saved.
    private func savedRecord(_ id: String, _ images: [String: MoveRecord.SaveImage], phase: MoveRecord.Phase = .saved) -> MoveRecord {
        MoveRecord(id: id, group: "g", from: "h1", to: "h2", method: .quick, phase: phase, at: .zero,
                   vms: images.mapValues { MoveRecord.VM(image: $0) })
    }

    func testQuickMigrationSavesToSharedStorageAndRestoresItsOwnImage() throws {
        let fixture = try ResourceFixture()
        try fixture.writeDomain()
        let group = try fixture.group()
        let runner = fixture.runner()
        try runner.online(group)
        let images = try runner.saveForQuickMigration(group, move: "m1")
        XCTAssertNil(try fixture.hypervisor.state(of: fixture.domain), "the source keeps no definition")
        let path = fixture.storage.saveImagePath(for: fixture.domain, move: "m1")
        XCTAssertTrue(path.contains(".m1.save"), "the image is named after its move: \(path)")
        XCTAssertEqual(images[fixture.domain]?.path, path)
        XCTAssertEqual(images[fixture.domain]?.bytes, FileSystem.size(path))
        // The test driver is one host; restoring on "another" host is proven on QEMU in the lab tests.
        let outcomes = try runner.restoreFromQuickMigration(group, move: savedRecord("m1", images), moveID: "m1")
        XCTAssertEqual(outcomes[fixture.domain], .restored(image: path))
        XCTAssertEqual(try fixture.hypervisor.state(of: fixture.domain), .running)
        XCTAssertTrue(try fixture.hypervisor.withConnection { try $0.lookup(name: fixture.domain).isPersistent() })
        XCTAssertFalse(FileSystem.exists(path), "image removed")
    }

    func testAnOlderMovesImageIsNeverRestored() throws {
        let fixture = try ResourceFixture()
        try fixture.writeDomain()
        let group = try fixture.group()
        let runner = fixture.runner()
        try runner.online(group)
        let old = try runner.saveForQuickMigration(group, move: "m1")
        let oldPath = try XCTUnwrap(old[fixture.domain]?.path)
        // Move m1's restore never happened; the group was started from its disks and moved again.
        try runner.online(group)
        let outcomes = try runner.restoreFromQuickMigration(group, move: savedRecord("m1", old), moveID: "m2")
        guard case .coldStarted(let reason)? = outcomes[fixture.domain] else { return XCTFail("\(outcomes)") }
        XCTAssertTrue(reason.contains("no record of move m2's save (the group's latest move is m1)"), reason)
        XCTAssertTrue(FileSystem.exists(oldPath), "another move's image is not this restore's to touch")
        let fresh = try runner.saveForQuickMigration(group, move: "m3")
        XCTAssertFalse(FileSystem.exists(oldPath), "a new save removes the domain's images of older moves")
        XCTAssertEqual(try runner.restoreFromQuickMigration(group, move: savedRecord("m3", fresh), moveID: "m3")[fixture.domain],
                       .restored(image: fresh[fixture.domain]!.path))
    }

    func testAnUnfinishedOrTruncatedSaveStartsFromDisksAndIsSetAside() throws {
        let fixture = try ResourceFixture()
        try fixture.writeDomain()
        let group = try fixture.group()
        let runner = fixture.runner()
        try runner.online(group)
        let images = try runner.saveForQuickMigration(group, move: "m1")
        let path = try XCTUnwrap(images[fixture.domain]?.path)
        let unfinished = try runner.restoreFromQuickMigration(group, move: savedRecord("m1", images, phase: .saving), moveID: "m1")
        guard case .coldStarted(let reason)? = unfinished[fixture.domain] else { return XCTFail("\(unfinished)") }
        XCTAssertTrue(reason.contains("did not finish (its record says saving)"), reason)
        XCTAssertTrue(reason.contains("set aside at \(path).failed"), reason)
        XCTAssertFalse(FileSystem.exists(path))
        XCTAssertEqual(try fixture.hypervisor.state(of: fixture.domain), .running, "started from its disks instead")

        let second = try runner.saveForQuickMigration(group, move: "m2")
        let secondPath = try XCTUnwrap(second[fixture.domain]?.path)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: secondPath))
        try handle.truncate(atOffset: 10)
        try handle.close()
        let truncated = try runner.restoreFromQuickMigration(group, move: savedRecord("m2", second), moveID: "m2")
        guard case .coldStarted(let why)? = truncated[fixture.domain] else { return XCTFail("\(truncated)") }
        XCTAssertTrue(why.contains("unusable: 10 bytes"), why)
        XCTAssertTrue(FileSystem.exists(secondPath + ".failed"))
    }

    func testAFailedRestoreSetsItsImageAside() throws {
        let fixture = try ResourceFixture()
        try fixture.writeDomain()
        let group = try fixture.group()
        let runner = fixture.runner()
        try runner.online(group)
        let images = try runner.saveForQuickMigration(group, move: "m1")
        let path = try XCTUnwrap(images[fixture.domain]?.path)
        let size = try XCTUnwrap(FileSystem.size(path))
        try Data(repeating: 0x5a, count: Int(size)).write(to: URL(fileURLWithPath: path))  // same size, not an image
        XCTAssertThrowsError(try runner.restoreFromQuickMigration(group, move: savedRecord("m1", images), moveID: "m1")) { error in
            XCTAssertTrue("\(error)".contains("image set aside at \(path).failed"), "\(error)")
        }
        XCTAssertFalse(FileSystem.exists(path), "no later attempt can restore it")
        XCTAssertTrue(FileSystem.exists(path + ".failed"))
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
