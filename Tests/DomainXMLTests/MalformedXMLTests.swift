import DomainXML
import Testing

@Suite("Malformed and invalid XML") struct MalformedXMLTests {
    @Test("an unclosed tag is reported at the line libxml2 finds the mismatch")
    func unclosedTag() throws {
        let error = #expect(throws: DomainXMLError.self) { try DomainDocument(xml: Fixture.text("malformed-unclosed-tag")) }
        guard case let .malformed(line, _, message) = error else {
            Issue.record("expected .malformed, got \(String(describing: error))")
            return
        }
        // <disk> opens on line 5 and is "closed" by </devices> on line 8.
        #expect(line == 8)
        #expect(message.contains("disk line 5 and devices"), "\(message)")
    }

    @Test("malformed text gives the line, column and libxml2's message", arguments: [
        ("", 1, "empty"),
        ("<domain type='kvm'>\n<name>x</name>\n<memory unit=MiB>1</memory>\n</domain>", 3, "AttValue"),
        ("<domain type='kvm'>\n  <name>a &nbsp; b</name>\n</domain>", 2, "nbsp"),
        ("<domain type='kvm'/>\n<domain type='kvm'/>", 2, "Extra content"),
    ])
    func malformed(xml: String, line: Int, fragment: String) {
        let error = #expect(throws: DomainXMLError.self) { try DomainDocument(xml: xml) }
        guard case let .malformed(reportedLine, _, message) = error else {
            Issue.record("expected .malformed, got \(String(describing: error))")
            return
        }
        #expect(reportedLine == line)
        #expect(message.localizedLowercase.contains(fragment.localizedLowercase), "\(message)")
    }

    @Test("invalid fixtures name the element's line and the problem", arguments: [
        ("invalid-missing-name", 1, "<domain> has no <name>"),
        ("invalid-bad-memory-unit", 4, "<currentMemory> has an unknown memory unit \"MegaBytes\""),
        ("invalid-disk-without-target", 10, "<disk> has no <target>"),
        ("invalid-unknown-disk-type", 5, "<disk> has an unsupported type \"nfs\" (supported: file, block, dir, network, volume, nvme, vhostuser, vhostvdpa)"),
    ])
    func invalidFixture(name: String, line: Int, problem: String) throws {
        let xml = try Fixture.text(name)
        let error = #expect(throws: DomainXMLError.self) { try DomainDocument(xml: xml) }
        guard case let .invalid(reportedLine, reportedProblem) = error else {
            Issue.record("expected .invalid, got \(String(describing: error))")
            return
        }
        #expect(reportedLine == line)
        #expect(reportedProblem.hasPrefix(problem), "\(reportedProblem)")
        #expect(error?.description.contains("line \(line)") == true)
    }

    @Test("other invalid constructs", arguments: [
        ("<vm><name>x</name></vm>", "<vm> is the root element; expected <domain>"),
        ("<domain><name>x</name><memory>1</memory></domain>", "<domain> has no type attribute"),
        ("<domain type='kvm'><name> </name><memory>1</memory></domain>", "<name> is empty"),
        ("<domain type='kvm'><name>x</name></domain>", "<domain> has no <memory> and no NUMA cells"),
        ("<domain type='kvm'><name>x</name><cpu><numa><cell id='0' cpus='0'/></numa></cpu></domain>", "<cell> has no memory attribute"),
        ("<domain type='kvm'><name>x</name><cpu><numa><cell memory='1' unit='parsec'/></numa></cpu></domain>", "<cell> has an unknown memory unit"),
        ("<domain type='kvm'><name>x</name><memory>1</memory><devices><disk type='nvme'><source type='pci'/><target dev='vda'/></disk></devices></domain>",
         "<source> has no <address> of the NVMe controller"),
        ("<domain type='kvm'><name>x</name><memory>1</memory><devices><disk type='nvme'><source type='pci'><address bus='0xzz'/></source><target dev='vda'/></disk></devices></domain>",
         "<address> has a bus attribute that is not a hexadecimal number: \"0xzz\""),
        ("<domain type='kvm'><name>x</name><memory>1</memory><devices><disk type='vhostuser'><source type='unix'/><target dev='vda'/></disk></devices></domain>",
         "<source> has no path attribute"),
        ("<domain type='kvm'><name>x</name><memory>1</memory><devices><disk type='vhostvdpa'><source/><target dev='vda'/></disk></devices></domain>",
         "<source> has no dev attribute"),
        ("<domain type='kvm'><name>x</name><memory>lots</memory></domain>", "<memory> has a memory amount that is not"),
        ("<domain type='kvm'><name>x</name><memory>1</memory><vcpu>0</vcpu></domain>", "<vcpu> is not a positive integer"),
        ("<domain type='kvm'><name>x</name><uuid>nope</uuid><memory>1</memory></domain>", "<uuid> is not a UUID"),
        ("<domain type='kvm'><name>x</name><memory unit='EiB'>99999</memory></domain>", "<memory> has a memory amount too large"),
        ("<domain type='kvm'><name>x</name><memory>1</memory><devices><disk type='file' device='tape'><target dev='vda'/></disk></devices></domain>",
         "<disk> has an unsupported device \"tape\""),
        ("<domain type='kvm'><name>x</name><memory>1</memory><devices><disk type='network'><source name='p/i'/><target dev='vda'/></disk></devices></domain>",
         "<source> has no protocol attribute"),
    ])
    func invalidConstruct(xml: String, problem: String) {
        let error = #expect(throws: DomainXMLError.self) { try DomainDocument(xml: xml) }
        guard case let .invalid(line, reported) = error else {
            Issue.record("expected .invalid, got \(String(describing: error))")
            return
        }
        #expect(line == 1)
        #expect(reported.hasPrefix(problem), "\(reported)")
    }

    @Test("external entities are not fetched or expanded")
    func noExternalEntities() throws {
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE domain [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
            <domain type='kvm'><name>&secret;</name><memory>1</memory></domain>
            """
        #expect(throws: DomainXMLError.declarationRefused(line: 2)) { try DomainDocument(xml: xml) }
    }
}
