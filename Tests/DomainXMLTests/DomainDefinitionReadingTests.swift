import DomainXML
import Foundation
import Testing

@Suite("Reading definitions") struct DomainDefinitionReadingTests {
    private func definition(_ name: String) throws -> DomainDefinition {
        try DomainDefinition(xml: Fixture.text(name))
    }

    @Test("the lab's direct-kernel-boot TCG guest, every field")
    func labGuest() throws {
        let expected = DomainDefinition(
            domainType: "qemu",
            name: "lab-vm1",
            uuid: UUID(uuidString: "c0ffee00-1ab0-4a1b-8c2d-000000000001"),
            memoryKiB: 131_072,
            vcpus: 1,
            os: OperatingSystemBoot(
                type: "hvm", arch: "x86_64", machine: "pc",
                kernel: "/srv/lab/shared/boot/vmlinuz-6.1.0-18-cloud-amd64",
                initrd: "/srv/lab/shared/boot/initramfs-busybox.cpio.gz",
                cmdline: "console=ttyS0 panic=-1 quiet vigil.heartbeat=100ms"),
            emulator: "/usr/bin/qemu-system-x86_64",
            disks: [Disk(
                type: .file, device: .disk, source: .file(path: "/srv/lab/shared/vms/lab-vm1.qcow2"),
                target: DiskTarget(dev: "vda", bus: "virtio"),
                driver: DiskDriver(name: "qemu", format: "qcow2", cache: "none"),
                backing: .image(BackingImage(type: .file, format: "qcow2",
                                             source: .file(path: "/srv/lab/shared/base.qcow2"))))],
            cpu: GuestCPU(mode: .custom, model: "qemu64"),
            serials: [CharacterDevice(type: "unix", sourcePath: "/srv/lab/shared/heartbeat/lab-vm1.sock",
                                      sourceMode: "connect", targetType: "isa-serial", targetPort: 0)],
            consoles: [CharacterDevice(type: "unix", sourcePath: "/srv/lab/shared/heartbeat/lab-vm1.sock",
                                       sourceMode: "connect", targetType: "serial", targetPort: 0)],
            vigilMetadata: ["group": "lab-group-a", "owner": "host1"])
        let actual = try definition("lab-tcg-direct-kernel")
        #expect(actual == expected)
        #expect(actual.os.isDirectKernelBoot)
        // The chain below the base is unknown (no empty <backingStore/>): libvirt will probe it.
        #expect(actual.disks[0].backing.images.last?.backing == .unspecified)
    }

    @Test("virt-install KVM guest: memory, vcpus, qcow2 disk, cdrom, network, serial, console, agent channel")
    func virtInstall() throws {
        let domain = try definition("virt-install-kvm")
        #expect(domain.domainType == "kvm")
        #expect(domain.name == "web01")
        #expect(domain.uuid == UUID(uuidString: "5b1e3f0c-8d2a-4c7e-9f61-2a4b8c6d0e13"))
        #expect(domain.memoryKiB == 4_194_304)
        #expect(domain.currentMemoryKiB == 2_097_152)
        #expect(domain.vcpus == 4)
        #expect(domain.currentVcpus == 2)
        #expect(domain.os == OperatingSystemBoot(type: "hvm", arch: "x86_64", machine: "pc-q35-7.2",
                                                 bootDevices: ["hd", "cdrom"]))
        #expect(!domain.os.isDirectKernelBoot)
        #expect(domain.emulator == "/usr/bin/qemu-system-x86_64")
        #expect(domain.disks == [
            Disk(type: .file, device: .disk, source: .file(path: "/var/lib/libvirt/images/web01.qcow2"),
                 target: DiskTarget(dev: "vda", bus: "virtio"),
                 driver: DiskDriver(name: "qemu", format: "qcow2", cache: "none")),
            Disk(type: .file, device: .cdrom,
                 source: .file(path: "/var/lib/libvirt/boot/debian-12.5.0-amd64-netinst.iso"),
                 target: DiskTarget(dev: "sda", bus: "sata"), driver: DiskDriver(name: "qemu", format: "raw"),
                 readOnly: true),
        ])
        #expect(domain.interfaces == [NetworkInterface(type: "network", mac: "52:54:00:6b:3c:58",
                                                       sourceNetwork: "default", model: "virtio")])
        #expect(domain.serials == [CharacterDevice(type: "pty", targetType: "isa-serial", targetPort: 0)])
        #expect(domain.consoles == [CharacterDevice(type: "pty", targetType: "serial", targetPort: 0)])
        #expect(domain.channels == [
            CharacterDevice(type: "unix", targetType: "virtio", targetName: "org.qemu.guest_agent.0"),
            CharacterDevice(type: "spicevmc", targetType: "virtio", targetName: "com.redhat.spice.0"),
        ])
        #expect(domain.vigilMetadata.isEmpty)
    }

    @Test("a <backingStore> chain is read recursively; an empty one means no backing file")
    func backingChain() throws {
        let domain = try definition("backing-chain")
        #expect(domain.memoryKiB == 8_388_608)
        #expect(domain.currentMemoryKiB == 8_388_608)
        #expect(domain.vcpus == 4 && domain.currentVcpus == 4)
        let top = domain.disks[0]
        #expect(top.source == .file(path: "/srv/vigil/images/db02-snap2.qcow2"))
        #expect(top.backingChain == [
            BackingImage(type: .file, format: "qcow2", source: .file(path: "/srv/vigil/images/db02-snap1.qcow2"),
                         backing: .image(BackingImage(
                            type: .file, format: "qcow2", source: .file(path: "/srv/vigil/images/debian-12-base.qcow2"),
                            backing: .none))),
            BackingImage(type: .file, format: "qcow2", source: .file(path: "/srv/vigil/images/debian-12-base.qcow2"),
                         backing: .none),
        ])
        #expect(domain.disks[1].backing == Backing.none)
        #expect(domain.disks[1].driver == DiskDriver(name: "qemu", format: "raw", cache: "writeback"))
        #expect(domain.disks[2].backing == .unspecified)
        #expect(domain.interfaces == [NetworkInterface(type: "bridge", mac: "52:54:00:aa:01:02",
                                                       sourceBridge: "br0", model: "virtio")])
        #expect(domain.serials[0].sourcePath == "/dev/pts/3")
    }

    @Test("block devices, a shareable LUN and a storage-pool volume")
    func blockDevices() throws {
        let domain = try definition("block-device")
        #expect(domain.uuid == UUID(uuidString: "9a8b7c6d-5e4f-4031-2233-445566778899"))
        #expect(domain.memoryKiB == 16_777_216)
        #expect(domain.disks.map(\.type) == [.block, .block, .volume])
        #expect(domain.disks.map(\.device) == [.disk, .lun, .disk])
        #expect(domain.disks[0].source?.path == "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4")
        #expect(domain.disks[1].source
            == .block(path: "/dev/disk/by-id/dm-uuid-mpath-36001405e6d3f2a1b9c8d7e6f5a4b3c2d"))
        #expect(domain.disks.map(\.shareable) == [false, true, false])
        #expect(domain.disks[2].source == .volume(pool: "lvm-shared", volume: "sql-logs"))
        #expect(domain.disks[2].source?.path == nil)
        #expect(domain.disks.map(\.target.dev) == ["sda", "sdb", "sdc"])
        #expect(domain.interfaces == [NetworkInterface(type: "direct", mac: "52:54:00:10:20:30",
                                                       sourceDevice: "eno1", model: "e1000e")])
        #expect(domain.consoles == [CharacterDevice(type: "pty", targetType: "virtio", targetPort: 0)])
    }

    @Test("network disks: rbd with monitors, iSCSI LUN, NBD over a unix socket")
    func networkDisks() throws {
        let domain = try definition("network-disks")
        #expect(domain.memoryKiB == 2_097_152)
        #expect(domain.emulator == "/usr/libexec/qemu-kvm")
        #expect(domain.disks.map(\.source) == [
            .network(NetworkDiskSource(protocol: "rbd", name: "vms/ceph-app03-root", hosts: [
                NetworkHost(name: "10.20.0.11", port: 6789), NetworkHost(name: "10.20.0.12", port: 6789),
                NetworkHost(name: "10.20.0.13"),
            ])),
            .network(NetworkDiskSource(protocol: "iscsi", name: "iqn.2013-06.com.example:storage.target01/1",
                                       hosts: [NetworkHost(name: "192.0.2.40", port: 3260)])),
            .network(NetworkDiskSource(protocol: "nbd", name: nil, hosts: [
                NetworkHost(name: nil, transport: "unix", socket: "/run/nbd/scratch.sock"),
            ])),
        ])
        #expect(domain.disks.map(\.device) == [.disk, .lun, .disk])
        #expect(domain.disks.map(\.readOnly) == [false, false, true])
        #expect(domain.disks.map(\.shareable) == [false, true, false])
    }

    @Test("a definition survives a JSON round trip (Codable)", arguments: Fixture.valid)
    func codable(name: String) throws {
        let domain = try definition(name)
        let decoded = try JSONDecoder().decode(DomainDefinition.self, from: JSONEncoder().encode(domain))
        #expect(decoded == domain)
    }

    @Test("defaults: no vcpu means 1, no currentMemory means memory, no devices means none")
    func defaults() throws {
        let domain = try DomainDefinition(xml: "<domain type='qemu'><name>tiny</name><memory unit='MiB'>64</memory></domain>")
        #expect(domain == DomainDefinition(domainType: "qemu", name: "tiny", memoryKiB: 65_536))
        #expect(domain.vcpus == 1 && domain.currentVcpus == 1 && domain.currentMemoryKiB == 65_536)
    }

    /// A domain around `devices` (the inside of `<devices>`) and `extra` top-level elements.
    private static func domain(devices: String, extra: String = "<memory unit='MiB'>512</memory>") throws -> DomainDefinition {
        try DomainDefinition(xml: "<domain type='kvm'><name>d</name>\(extra)<devices>\(devices)</devices></domain>")
    }

    @Test("empty drives: oVirt's <source startupPolicy='optional'/>, no <source>, or a source without its path")
    func emptyDrives() throws {
        let domain = try Self.domain(devices: """
            <disk type='file' device='cdrom'><driver name='qemu' error_policy='report'/><source startupPolicy='optional'/>\
            <target dev='sdc' bus='sata'/><readonly/></disk>
            <disk type='file' device='cdrom'><target dev='sdd' bus='sata'/><readonly/></disk>
            <disk type='block' device='cdrom'><source startupPolicy='optional'/><target dev='sde'/></disk>
            <disk type='file' device='floppy'><source file=''/><target dev='fda'/></disk>
            <disk type='block' device='disk'><source file='/a.img'/><target dev='vda'/></disk>
            """)
        #expect(domain.disks.map(\.source) == [nil, nil, nil, nil, nil])
        #expect(domain.disks.map(\.device) == [.cdrom, .cdrom, .cdrom, .floppy, .disk])
    }

    @Test("a dir disk is a host directory, not an image: it has no image path")
    func directoryDisk() throws {
        let domain = try Self.domain(devices: """
            <disk type='dir' device='floppy'><driver name='qemu' type='fat'/><source dir='/var/somefiles'/>\
            <target dev='fda'/><readonly/></disk>
            """)
        #expect(domain.disks[0].type == .dir)
        #expect(domain.disks[0].source == .directory(path: "/var/somefiles"))
        #expect(domain.disks[0].source?.path == nil)
    }

    @Test("NUMA cells size the guest even when <memory> says otherwise; currentMemory is capped at that")
    func numaMemory() throws {
        let numa = "<cpu><numa><cell id='0' cpus='0' memory='1' unit='GiB'/><cell id='1' cpus='1' memory='512' unit='MiB'/></numa></cpu>"
        let onlyCells = try Self.domain(devices: "", extra: numa)
        #expect(onlyCells.memoryKiB == 1_572_864 && onlyCells.currentMemoryKiB == 1_572_864)
        let both = try Self.domain(devices: "", extra: "<memory unit='GiB'>4</memory><currentMemory unit='GiB'>3</currentMemory>" + numa)
        #expect(both.memoryKiB == 1_572_864 && both.currentMemoryKiB == 1_572_864)
    }

    @Test("a character device without a type is a pty, as libvirt reads it")
    func untypedCharacterDevice() throws {
        let domain = try Self.domain(devices: "<serial><target port='0'/></serial>")
        #expect(domain.serials == [CharacterDevice(type: "pty", targetPort: 0)])
    }
}
