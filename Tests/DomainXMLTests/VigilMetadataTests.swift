import DomainXML
import Testing

@Suite("Vigil metadata") struct VigilMetadataTests {
    private let vigilURI = "https://vigil.dev/xmlns/ha/1"

    @Test("setting keys on a guest with foreign metadata adds only Vigil's element")
    func addKeys() throws {
        let original = try Fixture.text("virt-install-kvm")
        let document = try DomainDocument(xml: original)
        try document.setVigilMetadata("group", to: "web")
        try document.setVigilMetadata("owner", to: "host-b")
        #expect(document.vigilMetadata == ["group": "web", "owner": "host-b"])

        let edited = document.serialized()
        #expect(try DomainDefinition(xml: edited).vigilMetadata == ["group": "web", "owner": "host-b"])
        let added = try XMLTree(original, ignoringIndentation: true)
            .differences(to: XMLTree(edited, ignoringIndentation: true))
        #expect(added == [
            "+ /domain[1]/metadata[1]/vigil:ha[1] uri=\(vigilURI) xmlns:vigil=\(vigilURI)",
            "+ /domain[1]/metadata[1]/vigil:ha[1]/vigil:group[1] uri=\(vigilURI) ",
            #"+ /domain[1]/metadata[1]/vigil:ha[1]/vigil:group[1]/text()[1] "web""#,
            "+ /domain[1]/metadata[1]/vigil:ha[1]/vigil:owner[1] uri=\(vigilURI) ",
            #"+ /domain[1]/metadata[1]/vigil:ha[1]/vigil:owner[1]/text()[1] "host-b""#,
        ])
        #expect(edited.contains("""
              <metadata>
                <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
                  <libosinfo:os id="http://debian.org/debian/12"/>
                </libosinfo:libosinfo>
                <vigil:ha xmlns:vigil="\(vigilURI)">
            """), "\(edited)")
        #expect(edited.contains("<vigil:group>web</vigil:group>"))
    }

    @Test("a guest without <metadata> gets one after <uuid>")
    func createsMetadata() throws {
        let original = try Fixture.text("block-device")
        let document = try DomainDocument(xml: original)
        try document.setVigilMetadata("group", to: "sql")
        let edited = document.serialized()
        #expect(edited.contains("""
              <uuid>9a8b7c6d5e4f40312233445566778899</uuid>
              <metadata>
                <vigil:ha xmlns:vigil="\(vigilURI)">
            """), "\(edited)")
        let differences = try XMLTree(original, ignoringIndentation: true)
            .differences(to: XMLTree(edited, ignoringIndentation: true))
        #expect(differences == [
            "+ /domain[1]/metadata[1] uri= ",
            "+ /domain[1]/metadata[1]/vigil:ha[1] uri=\(vigilURI) xmlns:vigil=\(vigilURI)",
            "+ /domain[1]/metadata[1]/vigil:ha[1]/vigil:group[1] uri=\(vigilURI) ",
            #"+ /domain[1]/metadata[1]/vigil:ha[1]/vigil:group[1]/text()[1] "sql""#,
        ])
        #expect(try DomainDefinition(xml: edited).vigilMetadata == ["group": "sql"])
    }

    @Test("updating and removing keys leaves the other keys and other metadata alone")
    func updateAndRemove() throws {
        let document = try DomainDocument(xml: Fixture.text("lab-tcg-direct-kernel"))
        #expect(document.vigilMetadata == ["group": "lab-group-a", "owner": "host1"])
        try document.setVigilMetadata("owner", to: "host2")
        #expect(document.vigilMetadata == ["group": "lab-group-a", "owner": "host2"])
        try document.setVigilMetadata("group", to: nil)
        #expect(document.vigilMetadata == ["owner": "host2"])
        let edited = document.serialized()
        #expect(edited.contains("""
              <metadata>
                <vigil:ha xmlns:vigil="\(vigilURI)">
                  <vigil:owner>host2</vigil:owner>
                </vigil:ha>
              </metadata>
            """), "\(edited)")
        try document.setVigilMetadata("owner", to: nil)
        #expect(document.vigilMetadata == [:])
        #expect(!document.serialized().contains("metadata"))
        #expect(try DomainDefinition(xml: document.serialized()).vigilMetadata == [:])
    }

    @Test("removing Vigil's metadata keeps other applications' metadata")
    func removeKeepsForeign() throws {
        let document = try DomainDocument(xml: Fixture.text("virt-install-kvm"))
        try document.setVigilMetadata("group", to: "web")
        document.removeVigilMetadata()
        #expect(try XMLTree(document.serialized()) == XMLTree(Fixture.text("virt-install-kvm")))
    }

    @Test("a document using another prefix for Vigil's namespace is read and edited by URI")
    func otherPrefix() throws {
        let xml = """
            <domain type='kvm'><name>p</name><metadata><ha:ha xmlns:ha="\(vigilURI)"><ha:group>g</ha:group></ha:ha>\
            <vigil:ha xmlns:vigil="https://example.com/not-vigil"><vigil:group>other</vigil:group></vigil:ha>\
            </metadata><memory>1</memory></domain>
            """
        let document = try DomainDocument(xml: xml)
        #expect(document.vigilMetadata == ["group": "g"])
        try document.setVigilMetadata("owner", to: "h")
        #expect(document.serialized().contains(#"<ha:ha xmlns:ha="\#(vigilURI)"><ha:group>g</ha:group><ha:owner>h</ha:owner></ha:ha>"#))
        #expect(document.serialized().contains("<vigil:group>other</vigil:group>"))
    }

    @Test("values are escaped; keys must be element names", arguments: ["", "1group", "a b", "x:y", "<k>"])
    func invalidKeys(key: String) throws {
        let document = try DomainDocument(xml: Fixture.text("lab-tcg-direct-kernel"))
        #expect(throws: DomainXMLError.invalidMetadataKey(key)) { try document.setVigilMetadata(key, to: "v") }
        try document.setVigilMetadata("note", to: "a < b & \"c\"")
        #expect(try DomainDefinition(xml: document.serialized()).vigilMetadata["note"] == "a < b & \"c\"")
    }
}
