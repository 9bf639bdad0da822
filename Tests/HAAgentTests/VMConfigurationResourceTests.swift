import DomainXML
import Foundation
import XCTest
@testable import HAAgent

/// The VM-configuration resource: reading, parsing and checking domain XML on shared storage.
final class VMConfigurationResourceTests: XCTestCase {
    private func resource(_ fixture: ResourceFixture, path: String? = nil,
                          backingFiles: @escaping BackingFiles = BackingFilesOnDisk.read) -> VMConfigurationResource {
        VMConfigurationResource(path: path ?? fixture.xmlPath, domainName: fixture.domain, storage: fixture.storage, backingFiles: backingFiles)
    }

    func testValidConfigurationComesOnline() throws {
        let fixture = try ResourceFixture()
        try fixture.writeDomain()
        let configuration = try resource(fixture).online()
        XCTAssertEqual(configuration.definition.name, fixture.domain)
        XCTAssertEqual(configuration.definition.disks.count, 1)
    }

    func testEveryProblemIsReportedByName() throws {
        let fixture = try ResourceFixture()
        let extra = """

            <disk type='file' device='disk'><source file='/var/tmp/elsewhere.img'/><target dev='vdb'/></disk>
            <disk type='block' device='disk'><source dev='/dev/sdz'/><target dev='vdc'/></disk>
            <disk type='file' device='disk'><source file='\(fixture.storage.root)/vms/missing.img'/><target dev='vdd'/></disk>
        """
        try fixture.writeDomain(name: "someone-else", extraDisk: extra)
        XCTAssertThrowsError(try resource(fixture).online()) { error in
            let problems = (error as! ConfigurationError).problems
            XCTAssertTrue(problems.contains(.nameMismatch(expected: fixture.domain, found: "someone-else")))
            XCTAssertTrue(problems.contains(.outsideSharedStorage(path: "/var/tmp/elsewhere.img", role: "disk vdb")))
            XCTAssertTrue(problems.contains(.unstableDevicePath(target: "vdc", path: "/dev/sdz")))
            XCTAssertTrue(problems.contains(.diskMissing(target: "vdd", path: "\(fixture.storage.root)/vms/missing.img")))
            XCTAssertTrue("\(error)".contains(fixture.xmlPath), "the error names the file")
        }
    }

    func testDomainWithoutUUIDIsRefused() throws {
        let fixture = try ResourceFixture()
        try fixture.writeDomain()
        let xml = try String(contentsOfFile: fixture.xmlPath, encoding: .utf8).replacingOccurrences(of: "<uuid>\(fixture.uuid)</uuid>", with: "")
        try xml.write(toFile: fixture.xmlPath, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try resource(fixture).online()) { error in
            XCTAssertEqual((error as! ConfigurationError).problems, [.missingUUID(domain: fixture.domain)])
        }
    }

    func testBackingFilesMustBeOnSharedStorage() throws {
        let fixture = try ResourceFixture()
        try fixture.writeDomain()
        let outside = resource(fixture, backingFiles: { _ in ["/var/lib/images/base.qcow2"] })
        XCTAssertThrowsError(try outside.online()) { error in
            XCTAssertEqual((error as! ConfigurationError).problems,
                           [.outsideSharedStorage(path: "/var/lib/images/base.qcow2", role: "backing file of disk vda")])
        }
        struct Broken: Error, CustomStringConvertible { var description: String { "base.qcow2 does not exist" } }
        let broken = resource(fixture, backingFiles: { _ in throw Broken() })
        XCTAssertThrowsError(try broken.online()) { error in
            XCTAssertTrue("\(error)".contains("base.qcow2 does not exist"), "\(error)")
        }
    }

    func testRealQcow2ChainWithBaseOutsideSharedStorage() throws {
        let fixture = try ResourceFixture()
        let outsideDir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-local-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: outsideDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: outsideDir) }
        let base = "\(outsideDir)/base.qcow2"
        let overlay = "\(fixture.storage.root)/vms/\(fixture.domain).qcow2"
        try Command.run("/usr/bin/qemu-img", "create", "-q", "-f", "qcow2", base, "16M")
        try Command.run("/usr/bin/qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", overlay)
        try fixture.writeDomain(diskPath: overlay)
        let xml = try String(contentsOfFile: fixture.xmlPath, encoding: .utf8).replacingOccurrences(of: "type='raw'", with: "type='qcow2'")
        try xml.write(toFile: fixture.xmlPath, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try resource(fixture).online()) { error in
            XCTAssertEqual((error as! ConfigurationError).problems, [.outsideSharedStorage(path: base, role: "backing file of disk vda")])
        }
        // The same chain with its base moved onto shared storage comes online.
        let sharedBase = "\(fixture.storage.root)/vms/base.qcow2"
        try FileManager.default.moveItem(atPath: base, toPath: sharedBase)
        try Command.run("/usr/bin/qemu-img", "rebase", "-u", "-f", "qcow2", "-b", sharedBase, "-F", "qcow2", overlay)
        XCTAssertEqual(try resource(fixture).online().definition.disks.first?.source?.path, overlay)
        try FileManager.default.removeItem(atPath: sharedBase)
        XCTAssertThrowsError(try resource(fixture).online(), "a missing base is named") { error in
            XCTAssertTrue("\(error)".contains(sharedBase), "\(error)")
        }
    }

    func testMalformedXMLNamesTheLine() throws {
        let fixture = try ResourceFixture()
        try "<domain type='test'>\n  <name>x</name>\n  <memory>64\n</domain>\n".write(toFile: fixture.xmlPath, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try resource(fixture).online()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(fixture.xmlPath), text)
            XCTAssertTrue(text.contains("line"), "the error names the line: \(text)")
        }
    }

    func testXMLOutsideSharedStorageAndMissingFile() throws {
        let fixture = try ResourceFixture()
        XCTAssertThrowsError(try resource(fixture, path: "/etc/libvirt/qemu/x.xml").online()) { error in
            XCTAssertEqual((error as! ConfigurationError).problems, [.outsideSharedStorage(path: "/etc/libvirt/qemu/x.xml", role: "domain XML")])
        }
        XCTAssertThrowsError(try resource(fixture).online()) { error in
            guard case .unreadable(let path, _) = (error as! ConfigurationError).problems.first else { return XCTFail("\(error)") }
            XCTAssertEqual(path, fixture.xmlPath)
        }
    }

    func testSymlinkOutOfSharedStorageIsRejected() throws {
        let fixture = try ResourceFixture()
        let link = "\(fixture.storage.root)/vms/escape"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/etc")
        XCTAssertFalse(fixture.storage.contains("\(link)/hostname"))
        XCTAssertFalse(fixture.storage.contains("\(fixture.storage.root)/../x"))
        XCTAssertTrue(fixture.storage.contains("\(fixture.storage.root)/vms/./a.img"))
    }

    func testWriteBackIsAtomicAndRefusesBrokenXML() throws {
        let fixture = try ResourceFixture()
        try fixture.writeDomain()
        let resource = resource(fixture)
        let original = try String(contentsOfFile: fixture.xmlPath, encoding: .utf8)
        XCTAssertThrowsError(try resource.writeBack(xml: "<domain><name>half"))
        XCTAssertEqual(try String(contentsOfFile: fixture.xmlPath, encoding: .utf8), original, "nothing half-written")
        let updated = original.replacingOccurrences(of: "<memory unit='MiB'>64</memory>", with: "<memory unit='MiB'>128</memory>")
        try resource.writeBack(xml: updated)
        XCTAssertEqual(try resource.online().definition.memoryKiB, 128 * 1024)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "\(fixture.storage.root)/vms").filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(leftovers, [])
    }
}

/// The per-disk requirement (DiskRequirement) for the disk kinds no real-world fixture has.
final class DiskRequirementTests: XCTestCase {
    private func requirements(_ devices: String) throws -> [DiskRequirement] {
        try DomainDefinition(xml: "<domain type='kvm'><name>d</name><memory>1</memory><devices>\(devices)</devices></domain>")
            .disks.map(DiskRequirement.init)
    }

    func testEmptyDrivesAndDirectories() throws {
        XCTAssertEqual(try requirements("""
            <disk type='file' device='cdrom'><source startupPolicy='optional'/><target dev='hdc'/></disk>
            <disk type='block' device='floppy'><target dev='fda'/></disk>
            <disk type='file' device='disk'><target dev='vda'/></disk>
            <disk type='dir' device='disk'><source dir='/srv/shared/files'/><target dev='vdb'/></disk>
            """), [.nothing, .nothing, .missingSource, .sharedPath("/srv/shared/files")])
    }

    func testADirectoryDiskMustBeOnSharedStorage() throws {
        let fixture = try ResourceFixture()
        try FileManager.default.createDirectory(atPath: fixture.root + "/vms/files", withIntermediateDirectories: true)
        try fixture.writeDomain(extraDisk: """

            <disk type='dir' device='disk'><source dir='\(fixture.root)/vms/files'/><target dev='vdb'/></disk>
            <disk type='dir' device='disk'><source dir='/var/tmp'/><target dev='vdc'/></disk>
            <disk type='file' device='cdrom'><source startupPolicy='optional'/><target dev='hdc'/></disk>
        """)
        let resource = VMConfigurationResource(path: fixture.xmlPath, domainName: fixture.domain, storage: fixture.storage)
        XCTAssertThrowsError(try resource.online()) { error in
            XCTAssertEqual((error as! ConfigurationError).problems, [.outsideSharedStorage(path: "/var/tmp", role: "disk vdc")])
        }
    }
}

/// Oversized domain XML files are refused after reading at most the maximum size.
final class OversizedConfigurationTests: XCTestCase {
    func testAFileOverTheMaximumIsRefusedUnparsed() throws {
        let fixture = try ResourceFixture()
        try fixture.writeDomain()
        let original = try String(contentsOfFile: fixture.xmlPath, encoding: .utf8)
        let padding = String(repeating: " ", count: DomainXMLLimits.maximumDocumentBytes)
        try (original + "<!--" + padding + "-->").write(toFile: fixture.xmlPath, atomically: true, encoding: .utf8)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: fixture.xmlPath)[.size] as? Int)
        let resource = VMConfigurationResource(path: fixture.xmlPath, domainName: fixture.domain, storage: fixture.storage)
        XCTAssertThrowsError(try resource.online()) { error in
            XCTAssertEqual((error as! ConfigurationError).problems, [.malformed(
                path: fixture.xmlPath,
                reason: DomainXMLError.tooLarge(bytes: size, limit: DomainXMLLimits.maximumDocumentBytes).description)])
        }
    }

    func testAFileThatIsNotUTF8IsUnreadable() throws {
        let fixture = try ResourceFixture()
        try Data([0x3c, 0xff, 0xfe, 0x3e]).write(to: URL(fileURLWithPath: fixture.xmlPath))
        let resource = VMConfigurationResource(path: fixture.xmlPath, domainName: fixture.domain, storage: fixture.storage)
        XCTAssertThrowsError(try resource.online()) { error in
            XCTAssertEqual((error as! ConfigurationError).problems, [.unreadable(path: fixture.xmlPath, reason: "the file is not UTF-8 text")])
        }
    }
}
