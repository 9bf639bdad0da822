import DomainXML
import Foundation
import Testing

@Suite("Round trip") struct RoundTripTests {
    @Test("serializing an unedited fixture keeps every node", arguments: Fixture.valid)
    func unchanged(name: String) throws {
        let original = try Fixture.text(name)
        let serialized = try DomainDocument(xml: original).serialized()
        #expect(try XMLTree(serialized).differences(to: XMLTree(original)) == [])
    }

    @Test("serializing twice gives the same text", arguments: Fixture.valid)
    func stable(name: String) throws {
        let once = try DomainDocument(xml: Fixture.text(name)).serialized()
        let twice = try DomainDocument(xml: once).serialized()
        #expect(once == twice)
    }

    // libxml2 writes double quotes and namespace declarations before attributes; a file already
    // written that way must come back unchanged, byte for byte.
    @Test("a document already in libxml2's style comes back byte for byte")
    func byteForByte() throws {
        let original = try Fixture.text("network-disks")
        #expect(try DomainDocument(xml: original).serialized() == original)
    }

    @Test("unknown elements and foreign namespaces survive verbatim")
    func unknownContent() throws {
        let serialized = try DomainDocument(xml: Fixture.text("network-disks")).serialized()
        #expect(serialized.contains(#"<qemu:arg value="name=opt/app/role,string=frontend"/>"#))
        #expect(serialized.contains(#"<source network="storage-net" portgroup="ceph"/>"#))
        #expect(serialized.hasPrefix(#"<?xml version="1.0" encoding="UTF-8"?>"#))
        let virtInstall = try DomainDocument(xml: Fixture.text("virt-install-kvm")).serialized()
        #expect(virtInstall.hasPrefix("<!--\nWARNING: THIS IS AN AUTO-GENERATED FILE."))
        #expect(virtInstall.contains(#"<libosinfo:os id="http://debian.org/debian/12"/>"#))
    }

    @Test("setName changes only the text of <name>")
    func renameOnly() throws {
        let original = try Fixture.text("virt-install-kvm")
        let document = try DomainDocument(xml: original)
        try document.setName("web01-copy <&>")
        let edited = document.serialized()
        #expect(try XMLTree(original).differences(to: XMLTree(edited)) == [
            #"- /domain[1]/name[1]/text()[1] "web01""#,
            #"+ /domain[1]/name[1]/text()[1] "web01-copy <&>""#,
        ])
        #expect(document.definition.name == "web01-copy <&>")
        #expect(try DomainDefinition(xml: edited).name == "web01-copy <&>")
    }

    @Test("a blank name is refused and leaves the document as it was")
    func blankName() throws {
        let original = try Fixture.text("lab-tcg-direct-kernel")
        let document = try DomainDocument(xml: original)
        #expect(throws: DomainXMLError.invalid(line: 1, problem: "<domain> cannot be given an empty <name>")) {
            try document.setName(" \n")
        }
        #expect(document.definition.name == "lab-vm1")
        #expect(try XMLTree(document.serialized()) == XMLTree(original))
    }

    @Test("setUUID replaces <uuid>, or adds it right after <name>")
    func setUUID() throws {
        let uuid = try #require(UUID(uuidString: "AABBCCDD-EEFF-4011-8233-445566778899"))
        let original = try Fixture.text("virt-install-kvm")
        let document = try DomainDocument(xml: original)
        document.setUUID(uuid)
        #expect(try XMLTree(original).differences(to: XMLTree(document.serialized())) == [
            #"- /domain[1]/uuid[1]/text()[1] "5b1e3f0c-8d2a-4c7e-9f61-2a4b8c6d0e13""#,
            #"+ /domain[1]/uuid[1]/text()[1] "aabbccdd-eeff-4011-8233-445566778899""#,
        ])

        let bare = "<domain type='qemu'>\n  <name>x</name>\n  <memory>1024</memory>\n</domain>"
        let added = try DomainDocument(xml: bare)
        added.setUUID(uuid)
        #expect(added.serialized() == """
            <domain type="qemu">
              <name>x</name>
              <uuid>aabbccdd-eeff-4011-8233-445566778899</uuid>
              <memory>1024</memory>
            </domain>

            """)
        #expect(try DomainDefinition(xml: added.serialized()).uuid == uuid)
    }
}
