import DomainXML
import Foundation
import Testing

@Suite("Backing chains on disk") struct BackingChainTests {
    /// The chain as qemu-img reports it, in the same shape.
    private func asQemuImgReports(_ chain: [ChainImage]) -> [QemuImg.ChainInfo] {
        chain.map {
            QemuImg.ChainInfo(filename: $0.path, format: $0.format.rawValue, backingFilename: $0.backingFile,
                              backingFilenameFormat: $0.backingFormat, virtualSize: $0.virtualSize)
        }
    }

    @Test("a raw image is a chain of one")
    func raw() throws {
        try QemuImg.inTemporaryDirectory { qemu in
            try qemu.run("create", "-q", "-f", "raw", qemu.path("data.raw"), "16M")
            let chain = try BackingChain.resolve(path: qemu.path("data.raw"))
            #expect(chain == [ChainImage(path: qemu.path("data.raw"), format: .raw, virtualSize: 16 << 20)])
            #expect(asQemuImgReports(chain) == (try qemu.infoChain(qemu.path("data.raw"))))
        }
    }

    @Test("a three-level qcow2 chain with absolute names matches qemu-img")
    func threeLevels() throws {
        try QemuImg.inTemporaryDirectory { qemu in
            try qemu.run("create", "-q", "-f", "qcow2", qemu.path("base.qcow2"), "64M")
            try qemu.run("create", "-q", "-f", "qcow2", "-b", qemu.path("base.qcow2"), "-F", "qcow2", qemu.path("mid.qcow2"))
            try qemu.run("create", "-q", "-f", "qcow2", "-b", qemu.path("mid.qcow2"), "-F", "qcow2", qemu.path("top.qcow2"), "128M")
            let chain = try BackingChain.resolve(path: qemu.path("top.qcow2"), format: .qcow2)
            #expect(chain.map(\.path) == ["top.qcow2", "mid.qcow2", "base.qcow2"].map(qemu.path))
            #expect(chain.map(\.virtualSize) == [128 << 20, 64 << 20, 64 << 20])
            #expect(chain[0].backingFile == qemu.path("mid.qcow2") && chain[0].backingFormat == "qcow2")
            #expect(chain[2].backingFile == nil)
            #expect(asQemuImgReports(chain) == (try qemu.infoChain(qemu.path("top.qcow2"))))
        }
    }

    @Test("relative backing names resolve against the referencing image's directory; qcow2 over raw")
    func relativeAndRawBase() throws {
        try QemuImg.inTemporaryDirectory { qemu in
            try FileManager.default.createDirectory(atPath: qemu.path("vms"), withIntermediateDirectories: true)
            try qemu.run("create", "-q", "-f", "raw", qemu.path("base.raw"), "32M")
            // As the lab does it: the overlay names its base relative to its own directory.
            try qemu.run("create", "-q", "-f", "qcow2", "-b", "../base.raw", "-F", "raw", qemu.path("vms/vm1.qcow2"))
            let chain = try BackingChain.resolve(path: qemu.path("vms/vm1.qcow2"))
            #expect(chain == [
                ChainImage(path: qemu.path("vms/vm1.qcow2"), format: .qcow2, virtualSize: 32 << 20,
                           backingFile: "../base.raw", backingFormat: "raw"),
                ChainImage(path: qemu.path("vms/../base.raw"), format: .raw, virtualSize: 32 << 20),
            ])
            #expect(asQemuImgReports(chain) == (try qemu.infoChain(qemu.path("vms/vm1.qcow2"))))
        }
    }

    @Test("qcow2 version 2 (compat=0.10) images are read too")
    func version2() throws {
        try QemuImg.inTemporaryDirectory { qemu in
            try qemu.run("create", "-q", "-f", "qcow2", "-o", "compat=0.10", qemu.path("old-base.qcow2"), "8M")
            try qemu.run("create", "-q", "-f", "qcow2", "-o", "compat=0.10", "-b", "old-base.qcow2", "-F", "qcow2",
                         qemu.path("old.qcow2"))
            let chain = try BackingChain.resolve(path: qemu.path("old.qcow2"))
            #expect(chain.map(\.format) == [.qcow2, .qcow2])
            #expect(asQemuImgReports(chain) == (try qemu.infoChain(qemu.path("old.qcow2"))))
        }
    }

    @Test("a missing backing file names the file and the image that refers to it")
    func missingBacking() throws {
        try QemuImg.inTemporaryDirectory { qemu in
            try qemu.run("create", "-q", "-f", "qcow2", qemu.path("base.qcow2"), "8M")
            try qemu.run("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", qemu.path("top.qcow2"))
            try FileManager.default.removeItem(atPath: qemu.path("base.qcow2"))
            #expect(throws: BackingChainError.missingImage(path: qemu.path("base.qcow2"),
                                                           referencedBy: qemu.path("top.qcow2"))) {
                try BackingChain.resolve(path: qemu.path("top.qcow2"))
            }
            #expect(throws: BackingChainError.missingImage(path: qemu.path("nothing.qcow2"), referencedBy: nil)) {
                try BackingChain.resolve(path: qemu.path("nothing.qcow2"))
            }
        }
    }

    @Test("a chain that loops back (made with an unsafe rebase) is reported, not followed forever")
    func loop() throws {
        try QemuImg.inTemporaryDirectory { qemu in
            try qemu.run("create", "-q", "-f", "qcow2", qemu.path("a.qcow2"), "8M")
            try qemu.run("create", "-q", "-f", "qcow2", "-b", "a.qcow2", "-F", "qcow2", qemu.path("b.qcow2"))
            try qemu.run("rebase", "-u", "-b", "b.qcow2", "-F", "qcow2", qemu.path("a.qcow2"))
            let error = #expect(throws: BackingChainError.self) { try BackingChain.resolve(path: qemu.path("b.qcow2")) }
            #expect(error == .loop(chain: ["b.qcow2", "a.qcow2", "b.qcow2"].map(qemu.path)))
            #expect(error?.description.contains("loops") == true)
        }
    }

    @Test("declared qcow2 without a qcow2 header, truncated headers and foreign backing formats are errors")
    func badImages() throws {
        try QemuImg.inTemporaryDirectory { qemu in
            try qemu.run("create", "-q", "-f", "raw", qemu.path("plain.raw"), "1M")
            #expect(throws: BackingChainError.notQCow2(path: qemu.path("plain.raw"))) {
                try BackingChain.resolve(path: qemu.path("plain.raw"), format: .qcow2)
            }

            let truncated = qemu.path("truncated.qcow2")
            try Data([0x51, 0x46, 0x49, 0xFB, 0, 0, 0, 3, 0, 0]).write(to: URL(fileURLWithPath: truncated))
            let error = #expect(throws: BackingChainError.self) { try BackingChain.resolve(path: truncated) }
            guard case .corruptHeader(truncated, _)? = error else {
                Issue.record("expected corruptHeader for \(truncated), got \(String(describing: error))")
                return
            }

            try qemu.run("create", "-q", "-f", "vmdk", qemu.path("base.vmdk"), "1M")
            try qemu.run("create", "-q", "-f", "qcow2", "-b", "base.vmdk", "-F", "vmdk", qemu.path("over-vmdk.qcow2"))
            #expect(throws: BackingChainError.unsupportedFormat(path: qemu.path("over-vmdk.qcow2"), format: "vmdk")) {
                try BackingChain.resolve(path: qemu.path("over-vmdk.qcow2"))
            }
        }
    }

    @Test("a disk from domain XML resolves as its <driver type>; network disks have no local chain")
    func fromDisk() throws {
        try QemuImg.inTemporaryDirectory { qemu in
            try qemu.run("create", "-q", "-f", "qcow2", qemu.path("base.qcow2"), "8M")
            try qemu.run("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", qemu.path("vm.qcow2"))
            let xml = """
                <domain type='qemu'><name>d</name><memory unit='MiB'>128</memory><devices>
                  <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
                    <source file='\(qemu.path("vm.qcow2"))'/><target dev='vda' bus='virtio'/></disk>
                  <disk type='file' device='disk'><driver name='qemu' type='raw'/>
                    <source file='\(qemu.path("vm.qcow2"))'/><target dev='vdb' bus='virtio'/></disk>
                  <disk type='file' device='disk'><driver name='qemu' type='vdi'/>
                    <source file='\(qemu.path("vm.qcow2"))'/><target dev='vdc' bus='virtio'/></disk>
                  <disk type='network' device='disk'><source protocol='nbd' name='x'><host name='127.0.0.1'/></source>
                    <target dev='vdd' bus='virtio'/></disk>
                </devices></domain>
                """
            let disks = try DomainDefinition(xml: xml).disks
            #expect(try BackingChain.resolve(disk: disks[0])?.map(\.path) == [qemu.path("vm.qcow2"), qemu.path("base.qcow2")])
            // Declared raw: libvirt would not look inside, and neither do we.
            #expect(try BackingChain.resolve(disk: disks[1])?.map(\.format) == [.raw])
            #expect(throws: BackingChainError.unsupportedFormat(path: qemu.path("vm.qcow2"), format: "vdi")) {
                try BackingChain.resolve(disk: disks[2])
            }
            #expect(try BackingChain.resolve(disk: disks[3]) == nil)
        }
    }

    @Test("block devices (a loop device here): raw size from the device, qcow2 on a device with a file backing")
    func blockDevice() throws {
        try QemuImg.inTemporaryDirectory { qemu in
            try qemu.run("create", "-q", "-f", "raw", qemu.path("disk.raw"), "8M")
            try qemu.run("create", "-q", "-f", "qcow2", qemu.path("base.qcow2"), "4M")
            try qemu.run("create", "-q", "-f", "qcow2", "-b", qemu.path("base.qcow2"), "-F", "qcow2", qemu.path("overlay.qcow2"))
            // A loop device covers whole 512-byte sectors: pad the overlay file as an LVM volume would be.
            let overlayFile = try FileHandle(forWritingTo: URL(fileURLWithPath: qemu.path("overlay.qcow2")))
            try overlayFile.truncate(atOffset: 1 << 20)
            try overlayFile.close()
            try LoopDevice.attach(qemu.path("disk.raw")) { raw throws in
                #expect(try BackingChain.resolve(path: raw) == [ChainImage(path: raw, format: .raw, virtualSize: 8 << 20)])
            }
            try LoopDevice.attach(qemu.path("overlay.qcow2")) { overlay in
                let chain = try BackingChain.resolve(path: overlay, format: .qcow2)
                #expect(chain.map(\.path) == [overlay, qemu.path("base.qcow2")])
                #expect(chain.map(\.virtualSize) == [4 << 20, 4 << 20])
            }
        }
    }
}
