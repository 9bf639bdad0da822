import DomainXML
import Foundation

/// The real-world domains in Fixtures/real-world (see its README): what each must read as.
enum RealWorldFixture {
    /// What one fixture reads as: memory, vCPUs and one line per disk (`DiskLine`).
    struct Expectation: Sendable {
        let memoryKiB: UInt64
        let vcpus: Int
        let disks: [String]
    }

    static let directory = "Fixtures/real-world"

    /// Every fixture's expectation, by file name without ".xml".
    static let expectations: [String: Expectation] = [
        "libvirt-aarch64-virt-virtio": .init(memoryKiB: 1_048_576, vcpus: 1, disks: ["vda disk file /aarch64.raw"]),
        "libvirt-disk-backing-chains": .init(memoryKiB: 219_136, vcpus: 1, disks: [
            "vda disk network gluster Volume2/Image", "vdb disk network nbd bar", "vdc disk network gluster Volume1/Image",
            "vdd disk network rbd pool/image", "vde disk block /dev/HostVG/QEMUGuest11",
        ]),
        "libvirt-net-vdpa": .init(memoryKiB: 219_136, vcpus: 1, disks: []),
        "libvirt-tpm-emulator": .init(memoryKiB: 2_097_152, vcpus: 1, disks: []),
        "libvirt-vhost-user-fs-fd-memory": .init(memoryKiB: 14_680_064, vcpus: 2, disks: []),
        "virt-install-kvm-centos7": .init(memoryKiB: 65536, vcpus: 2, disks: ["vda disk file /dev/default-pool/testvol1.img"]),
        "libvirt-boot-complex": .init(memoryKiB: 219_100, vcpus: 1, disks: [
            "vdb disk file /tmp/vdb.img", "hdb disk block /dev/HostVG/hdb", "hda disk block /dev/HostVG/hda",
            "vda disk file /tmp/vda.img", "hdc cdrom block /dev/HostVG/hdc", "fdb floppy block /dev/fd1",
            "fda floppy block /dev/fd0",
        ]),
        "libvirt-cpu-numa-no-memory-element": .init(memoryKiB: 219_100, vcpus: 16, disks: []),
        "libvirt-disk-cdrom": .init(memoryKiB: 219_100, vcpus: 1, disks: [
            "hda disk block /dev/HostVG/QEMUGuest1", "hdb cdrom file /root/boot.iso", "hdc cdrom empty", "hdd cdrom empty",
        ]),
        "libvirt-disk-cdrom-tray": .init(memoryKiB: 1_048_576, vcpus: 1, disks: [
            "vda disk file /var/lib/libvirt/images/f14.img", "hdc cdrom file /var/lib/libvirt/Fedora-14-x86_64-Live-KDE.iso",
            "hdd cdrom file /tmp/cdrom.img",
        ]),
        "libvirt-disk-floppy": .init(memoryKiB: 219_136, vcpus: 1, disks: [
            "hda disk block /dev/HostVG/QEMUGuest1", "fda floppy block /dev/fd0", "fdb floppy file /tmp/firmware.img",
        ]),
        "libvirt-disk-network-iscsi": .init(memoryKiB: 219_136, vcpus: 1, disks: [
            "vda disk network iscsi iqn.1992-01.com.example", "vdb disk network iscsi iqn.1992-01.com.example/1",
            "vdc disk network iscsi iqn.1992-01.com.example:storage/1", "vdd disk network iscsi iqn.1992-01.com.example:storage/2",
            "sda lun network iscsi iqn.1992-01.com.example",
        ]),
        "libvirt-disk-network-nbd": .init(memoryKiB: 219_136, vcpus: 1, disks: [
            "vda disk network nbd -", "vdb disk network nbd bar", "vdc disk network nbd -", "vdd disk network nbd bar",
            "vde disk network nbd bar",
        ]),
        "libvirt-disk-network-rbd": .init(memoryKiB: 219_136, vcpus: 1, disks: ["vda", "vdb", "vdc", "vdd", "vde", "vdf"].map {
            "\($0) disk network rbd pool/image"
        }),
        "libvirt-disk-nvme": .init(memoryKiB: 219_136, vcpus: 1, disks: [
            "vda disk nvme 0000:01:00.0 namespace 1", "vdb disk nvme 0000:01:00.0 namespace 2",
            "vdc disk nvme 0000:02:00.0 namespace 1", "vdd disk nvme 0001:02:00.0 namespace 2",
        ]),
        "libvirt-disk-source-pool-mode": .init(memoryKiB: 219_136, vcpus: 1, disks: [
            "hda cdrom volume pool-iscsi-auth/unit:0:0:1", "hdb cdrom volume pool-iscsi/unit:0:0:2",
            "hdc disk file /tmp/idedisk.img", "hdd cdrom volume pool-iscsi/unit:0:0:3",
        ]),
        "libvirt-disk-vhostuser": .init(memoryKiB: 219_136, vcpus: 1, disks: [
            "vda disk vhostuser /tmp/vhost1.sock", "vdb disk vhostuser /tmp/vhost1.sock",
        ]),
        "libvirt-disk-vhostvdpa": .init(memoryKiB: 219_136, vcpus: 1, disks: ["vda disk vhostvdpa /dev/vhost-vdpa-0"]),
        "libvirt-hostdev-pci-address": .init(memoryKiB: 219_100, vcpus: 1, disks: ["hda disk block /dev/HostVG/QEMUGuest2"]),
        "libvirt-hostdev-usb-address": .init(memoryKiB: 219_136, vcpus: 1, disks: ["hda disk block /dev/HostVG/QEMUGuest1"]),
        // <memory> says 1572863 KiB; libvirt sizes the guest by its one NUMA cell.
        "libvirt-hugepages-numa-default": .init(memoryKiB: 1_048_576, vcpus: 2, disks: []),
        "libvirt-hugepages-pages": .init(memoryKiB: 4_194_304, vcpus: 4, disks: ["hda disk block /dev/HostVG/QEMUGuest1"]),
        "libvirt-memory-hotplug": .init(memoryKiB: 219_136, vcpus: 2, disks: ["hda disk block /dev/HostVG/QEMUGuest1"]),
        "libvirt-net-vhostuser": .init(memoryKiB: 219_136, vcpus: 1, disks: []),
        "libvirt-numatune-memnode": .init(memoryKiB: 24_682_468, vcpus: 32, disks: []),
        "libvirt-os-firmware-efi": .init(memoryKiB: 8192, vcpus: 1, disks: []),
        "libvirt-q35": .init(memoryKiB: 2_097_152, vcpus: 2, disks: ["sda disk block /dev/HostVG/QEMUGuest1"]),
        "virt-install-boot-uefi": .init(memoryKiB: 65536, vcpus: 1, disks: []),
        "virt-install-cdrom-double": .init(memoryKiB: 65536, vcpus: 1, disks: [
            "hda disk file /var/lib/libvirt/images/disk.qcow2", "hdb cdrom empty", "hdc cdrom file /pool-dir/testvol2.img",
        ]),
        "virt-install-kvm-win10": .init(memoryKiB: 65536, vcpus: 2, disks: [
            "sda disk file /dev/default-pool/testvol1.img", "sdb cdrom file /dev/default-pool/testvol2.img",
        ]),
        "virt-install-linux2020": .init(memoryKiB: 65536, vcpus: 2, disks: ["vda disk file /var/lib/libvirt/images/linux2020.qcow2"]),
    ]

    /// The fixture files present in the test bundle, without ".xml", sorted.
    static func names() throws -> [String] {
        guard let url = Bundle.module.url(forResource: "real-world", withExtension: nil, subdirectory: "Fixtures") else {
            throw Fixture.FixtureMissing(name: directory)
        }
        return try FileManager.default.contentsOfDirectory(atPath: url.path)
            .filter { $0.hasSuffix(".xml") }.map { String($0.dropLast(4)) }.sorted()
    }

    /// The text of fixture `name`.
    static func text(_ name: String) throws -> String {
        try Fixture.text("real-world/\(name)")
    }

    /// One line describing a disk: target, device, then its source ("empty" for a drive without media).
    static func line(_ disk: Disk) -> String {
        let head = "\(disk.target.dev) \(disk.device.rawValue)"
        guard let source = disk.source else { return "\(head) empty" }
        switch source {
        case let .file(path): return "\(head) file \(path)"
        case let .block(path): return "\(head) block \(path)"
        case let .directory(path): return "\(head) dir \(path)"
        case let .network(network): return "\(head) network \(network.protocol) \(network.name ?? "-")"
        case let .volume(pool, volume): return "\(head) volume \(pool)/\(volume)"
        case let .nvme(nvme): return "\(head) nvme \(nvme.pciAddress) namespace \(nvme.namespace.map(String.init) ?? "-")"
        case let .vhostUser(socket): return "\(head) vhostuser \(socket)"
        case let .vhostVDPA(device): return "\(head) vhostvdpa \(device)"
        }
    }
}
