import DomainXML
import Foundation
import Testing

/// Domains from libvirt's and virt-manager's own test data: all must parse, read as libvirt reads
/// them, and come back from serialization with nothing lost.
@Suite("Real-world domains") struct RealWorldFixtureTests {
    @Test("every fixture file has an expectation and every expectation a file")
    func everyFixtureIsChecked() throws {
        let names = try RealWorldFixture.names()
        #expect(names == RealWorldFixture.expectations.keys.sorted())
        #expect(names.count >= 30)
    }

    @Test("each fixture parses and reads as libvirt reads it", arguments: RealWorldFixture.expectations.keys.sorted())
    func reads(name: String) throws {
        let expected = try #require(RealWorldFixture.expectations[name])
        let definition = try DomainDocument(xml: RealWorldFixture.text(name)).definition
        #expect(definition.memoryKiB == expected.memoryKiB)
        #expect(definition.currentMemoryKiB <= definition.memoryKiB)
        #expect(definition.vcpus == expected.vcpus)
        #expect(definition.disks.map(RealWorldFixture.line) == expected.disks)
    }

    @Test("a virtiofs <filesystem> is read with its host directory and mount tag")
    func filesystem() throws {
        let definition = try DomainDefinition(xml: RealWorldFixture.text("libvirt-vhost-user-fs-fd-memory"))
        #expect(definition.filesystems == [SharedFilesystem(type: "mount", sourcePath: "/path", target: "mount_tag")])
    }

    @Test("each fixture round-trips without losing a node, attribute or comment", arguments: RealWorldFixture.expectations.keys.sorted())
    func roundTrip(name: String) throws {
        let original = try RealWorldFixture.text(name)
        let once = try DomainDocument(xml: original).serialized()
        #expect(try XMLTree(once).differences(to: XMLTree(original)) == [])
        #expect(try DomainDocument(xml: once).serialized() == once)
        #expect(try DomainDefinition(xml: once) == DomainDefinition(xml: original))
    }
}
