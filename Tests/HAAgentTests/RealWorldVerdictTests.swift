import DomainXML
import Foundation
import Testing
@testable import HAAgent

/// The HA wizard's per-disk verdict on the real-world domains of Tests/DomainXMLTests/Fixtures/real-world
/// (libvirt's and virt-manager's test data), by fixture class: host-local disks are refused, empty
/// drives need nothing, network and pool disks need nothing local, files and block devices must be shared.
@Suite("HA wizard on real-world domains") struct RealWorldVerdictTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("DomainXMLTests/Fixtures/real-world")

    /// The requirement of every disk, by fixture, as a short tag (see `tag`).
    static let expected: [String: [String]] = [
        "libvirt-aarch64-virt-virtio": ["path"],
        "libvirt-disk-backing-chains": ["service", "service", "service", "service", "block"],
        "libvirt-net-vdpa": [],
        "libvirt-tpm-emulator": [],
        "libvirt-vhost-user-fs-fd-memory": [],
        "virt-install-kvm-centos7": ["path"],
        "libvirt-boot-complex": ["path", "block", "block", "path", "block", "block", "block"],
        "libvirt-cpu-numa-no-memory-element": [],
        "libvirt-disk-cdrom": ["block", "path", "nothing", "nothing"],
        "libvirt-disk-cdrom-tray": ["path", "path", "path"],
        "libvirt-disk-floppy": ["block", "block", "path"],
        "libvirt-disk-network-iscsi": Array(repeating: "service", count: 5),
        "libvirt-disk-network-nbd": Array(repeating: "service", count: 5),
        "libvirt-disk-network-rbd": Array(repeating: "service", count: 6),
        "libvirt-disk-nvme": Array(repeating: "host-local", count: 4),
        "libvirt-disk-source-pool-mode": ["service", "service", "path", "service"],
        "libvirt-disk-vhostuser": ["host-local", "host-local"],
        "libvirt-disk-vhostvdpa": ["host-local"],
        "libvirt-hostdev-pci-address": ["block"],
        "libvirt-hostdev-usb-address": ["block"],
        "libvirt-hugepages-numa-default": [],
        "libvirt-hugepages-pages": ["block"],
        "libvirt-memory-hotplug": ["block"],
        "libvirt-net-vhostuser": [],
        "libvirt-numatune-memnode": [],
        "libvirt-os-firmware-efi": [],
        "libvirt-q35": ["block"],
        "virt-install-boot-uefi": [],
        "virt-install-cdrom-double": ["path", "nothing", "path"],
        "virt-install-kvm-win10": ["path", "path"],
        "virt-install-linux2020": ["path"],
    ]

    static func tag(_ requirement: DiskRequirement) -> String {
        switch requirement {
        case .nothing: "nothing"
        case .sharedPath: "path"
        case .sharedBlockDevice: "block"
        case .service: "service"
        case .missingSource: "no-source"
        case .hostLocal: "host-local"
        }
    }

    static func definition(_ name: String) throws -> DomainDefinition {
        try DomainDefinition(xml: String(contentsOf: directory.appendingPathComponent("\(name).xml"), encoding: .utf8))
    }

    @Test("every fixture has a verdict here")
    func everyFixture() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path)
            .filter { $0.hasSuffix(".xml") }.map { String($0.dropLast(4)) }.sorted()
        #expect(names == Self.expected.keys.sorted())
    }

    @Test("each disk gets the requirement of its class", arguments: expected.keys.sorted())
    func requirements(name: String) throws {
        let disks = try Self.definition(name).disks
        #expect(disks.map { Self.tag(DiskRequirement($0)) } == Self.expected[name])
    }

    /// Copies fixture `name` onto a fresh shared directory and brings its configuration online there.
    static func online(_ name: String) throws -> Result<VMConfiguration, ConfigurationError> {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-verdict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("\(name).xml").path
        try FileManager.default.copyItem(atPath: directory.appendingPathComponent("\(name).xml").path, toPath: path)
        let resource = VMConfigurationResource(path: path, domainName: nil, storage: SharedStorage(root: root.path),
                                               backingFiles: { _ in [] })
        do { return .success(try resource.online()) } catch { return .failure(error) }
    }

    @Test("NVMe, vhost-user and vDPA disks are refused, naming the VM, the disk and the fix",
          arguments: ["libvirt-disk-nvme", "libvirt-disk-vhostuser", "libvirt-disk-vhostvdpa"])
    func hostLocalRefused(name: String) throws {
        let definition = try Self.definition(name)
        guard case let .failure(error) = try Self.online(name) else {
            Issue.record("\(name) came online with host-local disks")
            return
        }
        #expect(error.problems.count == definition.disks.count)
        for (problem, disk) in zip(error.problems, definition.disks) {
            guard case let .hostLocalDisk(domain, target, _) = problem else {
                Issue.record("expected a host-local refusal, got \(problem)")
                continue
            }
            #expect(domain == "QEMUGuest1" && target == disk.target.dev)
            let text = problem.description
            #expect(text.hasPrefix("VM QEMUGuest1 cannot be highly available: its disk \(target) is "), "\(text)")
            #expect(text.contains("which no other host can reach") && text.contains("move the disk's data to shared storage"), "\(text)")
        }
        #expect(error.problems.first?.description.contains(
            ["libvirt-disk-nvme": "controller 0000:01:00.0, namespace 1", "libvirt-disk-vhostuser": "socket /tmp/vhost1.sock",
             "libvirt-disk-vhostvdpa": "(/dev/vhost-vdpa-0)"][name]!) == true)
    }

    @Test("an empty CD-ROM needs nothing: only the file disks off shared storage are reported")
    func emptyCDROM() throws {
        guard case let .failure(error) = try Self.online("virt-install-cdrom-double") else {
            Issue.record("came online with disks off shared storage")
            return
        }
        #expect(error.problems == [
            .outsideSharedStorage(path: "/var/lib/libvirt/images/disk.qcow2", role: "disk hda"),
            .outsideSharedStorage(path: "/pool-dir/testvol2.img", role: "disk hdc"),
        ])
    }

    @Test("a virtiofs share of a host directory off shared storage is refused like such a disk")
    func virtiofsShare() throws {
        guard case let .failure(error) = try Self.online("libvirt-vhost-user-fs-fd-memory") else {
            Issue.record("came online sharing /path from this host")
            return
        }
        #expect(error.problems == [.outsideSharedStorage(path: "/path", role: "filesystem mount_tag")])
    }

    @Test("a network disk's backing images named in the XML must be on shared storage when they are local files")
    func networkDiskBackingStores() throws {
        guard case let .failure(error) = try Self.online("libvirt-disk-backing-chains") else {
            Issue.record("came online with backing files in /tmp")
            return
        }
        let images = ["/dev/HostVG/QEMUGuest1", "/tmp/image2.qcow", "/tmp/image3.qcow", "/tmp/image4.qcow", "/tmp/image5.qcow",
                      "/tmp/Fedora-17-x86_64-Live-KDE.iso"]
        #expect(error.problems == [.outsideSharedStorage(path: "/tmp/missing-backing-store.qcow", role: "backing file of disk vda")]
            + images.map { .outsideSharedStorage(path: $0, role: "backing file of disk vdb") }
            + [.outsideSharedStorage(path: "/tmp/image.qcow", role: "backing file of disk vdd"),
               .unstableDevicePath(target: "vde", path: "/dev/HostVG/QEMUGuest11"),
               .notABlockDevice(target: "vde", path: "/dev/HostVG/QEMUGuest11")])
    }

    @Test("network and storage-pool disks need nothing local: such a VM comes online",
          arguments: ["libvirt-disk-network-rbd", "libvirt-disk-network-iscsi", "libvirt-disk-network-nbd", "libvirt-numatune-memnode"])
    func servicesOnline(name: String) throws {
        let configuration = try Self.online(name).get()
        #expect(configuration.definition.disks.allSatisfy { DiskRequirement($0) == .service })
    }
}
