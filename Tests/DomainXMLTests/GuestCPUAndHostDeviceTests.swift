import DomainXML
import Testing

/// What the HA wizard checks per owner beyond disks: the guest CPU, pass-through devices, and what a
/// host's CPU and hypervisor offer (capabilities and domain capabilities of Debian 12's libvirt 9).
@Suite("Guest CPU, host devices and domain capabilities") struct GuestCPUAndHostDeviceTests {
    private func domain(_ devicesAndCPU: String) throws -> DomainDefinition {
        try DomainDefinition(xml: "<domain type='kvm'><name>d</name><memory>1024</memory>\(devicesAndCPU)</domain>")
    }

    @Test("real-world domains: host-model, a custom model without a mode, topology only, PCI and USB devices")
    func realWorld() throws {
        #expect(try DomainDefinition(xml: RealWorldFixture.text("virt-install-kvm-centos7")).cpu == GuestCPU(mode: .hostModel))
        #expect(try DomainDefinition(xml: RealWorldFixture.text("libvirt-aarch64-virt-virtio")).cpu == GuestCPU(mode: .custom, model: "cortex-a53"))
        #expect(try DomainDefinition(xml: RealWorldFixture.text("libvirt-cpu-numa-no-memory-element")).cpu == nil,
                "a <cpu> with a topology and NUMA cells only asks for no model")
        #expect(try DomainDefinition(xml: RealWorldFixture.text("libvirt-hostdev-pci-address")).hostDevices == [.pci(address: "0000:06:12.5")])
        #expect(try DomainDefinition(xml: RealWorldFixture.text("libvirt-hostdev-usb-address")).hostDevices == [.usbAddress(bus: 14, device: 6)])
    }

    @Test("modes, fallback and USB by vendor and product")
    func crafted() throws {
        #expect(try domain("<cpu mode='host-passthrough'/>").cpu?.followsTheHost == true)
        #expect(try domain("<cpu mode='custom' match='exact'><model fallback='forbid'>Skylake-Server</model></cpu>").cpu
                == GuestCPU(mode: .custom, model: "Skylake-Server", fallbackForbidden: true))
        let usb = try domain("""
            <devices><hostdev mode='subsystem' type='usb'><source><vendor id='0x1D6B'/><product id='0x0002'/></source></hostdev>
            <hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev>
            <hostdev mode='capabilities' type='storage'><source><block>/dev/sdf1</block></source></hostdev></devices>
            """)
        #expect(usb.hostDevices == [.usb(vendorProduct: "1d6b:0002"), .other(type: "mdev")], "capabilities-mode devices are an LXC host's, not passed through")
    }

    @Test("a bad CPU mode or PCI address is refused, naming it")
    func refused() throws {
        #expect(throws: DomainXMLError.self) { try domain("<cpu mode='host-everything'/>") }
        do { _ = try domain("<cpu mode='host-everything'/>") } catch {
            #expect("\(error)".contains("mode 'host-everything'"), "\(error)")
        }
        do {
            _ = try domain("<devices><hostdev mode='subsystem' type='pci'><source><address bus='zz' slot='0x1' function='0x0'/></source></hostdev></devices>")
            Issue.record("a PCI address with bus 'zz' was accepted")
        } catch { #expect("\(error)".contains("bad bus 'zz'"), "\(error)") }
    }

    @Test("the host CPU's model and vendor come from the capabilities; usable CPU models from the domain capabilities")
    func hostOffers() throws {
        let caps = try HostCapabilities(xml: Fixture.text("capabilities-debian12-qemu7.2"))
        #expect(caps.hostCPUModel == "kvm64" && caps.hostCPUVendor == "AMD")
        let tcg = try DomainCapabilities(xml: Fixture.text("domcapabilities-debian12-qemu7.2-tcg"))
        #expect(tcg.usableCPUModels.isSuperset(of: ["qemu64", "kvm64", "pentium3"]))
        #expect(tcg.unusableCPUModels.contains("phenom") && !tcg.usableCPUModels.contains("phenom"))
        #expect(!tcg.hostPassthrough, "TCG offers no host-passthrough")
        #expect(throws: DomainXMLError.self) { try DomainCapabilities(xml: "<capabilities/>") }
    }
}
