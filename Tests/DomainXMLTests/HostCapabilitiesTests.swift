import DomainXML
import Testing

/// Host capabilities (Debian 12's libvirt 9 + QEMU 7.2) and whether a host could run a domain.
@Suite("Host capabilities") struct HostCapabilitiesTests {
    let debian12 = try! HostCapabilities(xml: Fixture.text("capabilities-debian12-qemu7.2"))

    @Test("guests, domain types and machine types (aliases too) are read")
    func reading() throws {
        #expect(debian12.hostArch == "x86_64")
        let x86 = try #require(debian12.guests.first { $0.arch == "x86_64" && $0.osType == "hvm" })
        #expect(x86.domainTypes == ["qemu", "kvm"])
        #expect(x86.emulator == "/usr/bin/qemu-system-x86_64")
        #expect(x86.machines.isSuperset(of: ["pc-q35-7.2", "q35", "pc", "pc-i440fx-7.2", "microvm"]))
        #expect(debian12.guests.map(\.arch).sorted() == ["i686", "x86_64"])
    }

    @Test("the fixtures' domains run on it")
    func compatibleDomains() throws {
        for name in ["lab-tcg-direct-kernel", "virt-install-kvm"] {
            let domain = try DomainDefinition(xml: Fixture.text(name))
            #expect(debian12.problems(running: domain).isEmpty, "\(name): \(debian12.problems(running: domain))")
        }
    }

    @Test("a newer machine type, another architecture or domain type is named as the problem")
    func incompatibleDomains() throws {
        var domain = try DomainDefinition(xml: Fixture.text("virt-install-kvm"))
        domain.os.machine = "pc-q35-9.2"
        #expect(debian12.problems(running: domain) == ["has no machine type 'pc-q35-9.2' for x86_64 (its QEMU is older or built differently)"])
        domain.os.machine = nil
        domain.domainType = "xen"
        #expect(debian12.problems(running: domain) == ["cannot run domain type 'xen' for x86_64 (offers kvm, qemu)"])
        domain.os.arch = "aarch64"
        #expect(debian12.problems(running: domain) == ["runs no hvm guests of architecture aarch64 (offers hvm/i686, hvm/x86_64)"])
        domain.os.arch = nil  // libvirt then takes the host's architecture
        domain.domainType = "kvm"
        #expect(debian12.problems(running: domain).isEmpty)
    }

    @Test("text that is not capabilities XML is refused, naming the line")
    func badInput() {
        #expect(throws: DomainXMLError.self) { try HostCapabilities(xml: "<capabilities><guest>") }
        let error = #expect(throws: DomainXMLError.self) { try HostCapabilities(xml: "<domain type='kvm'/>") }
        #expect("\(error.map { "\($0)" } ?? "")".contains("expected <capabilities>"))
        let noArch = #expect(throws: DomainXMLError.self) {
            try HostCapabilities(xml: "<capabilities>\n<guest>\n<os_type>hvm</os_type>\n</guest>\n</capabilities>")
        }
        #expect("\(noArch.map { "\($0)" } ?? "")".contains("line 2"), "\(String(describing: noArch))")
    }
}
