import ClusterSchema
import DomainXML
import Foundation
import XCTest
@testable import HAAgent

/// This host's inventory as its agent publishes it: from libvirt (the test driver) and from a sysfs
/// and /dev laid out in a temporary directory.
final class HostInventoryScanTests: XCTestCase {
    func testTheScanReadsNetworksBridgesDevicesAndStableNames() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-inventory-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        func mkdir(_ path: String) throws { try FileManager.default.createDirectory(atPath: root + path, withIntermediateDirectories: true) }
        func write(_ path: String, _ text: String) throws { try text.write(toFile: root + path, atomically: true, encoding: .utf8) }
        try mkdir("/sys/class/net/br0/bridge")
        try mkdir("/sys/class/net/eth0")
        try mkdir("/sys/bus/pci/devices/0000:06:12.5")
        try mkdir("/sys/bus/usb/devices/1-1")
        try write("/sys/bus/usb/devices/1-1/idVendor", "1D6B\n")
        try write("/sys/bus/usb/devices/1-1/idProduct", "0002\n")
        try mkdir("/sys/bus/usb/devices/1-1:1.0")  // an interface: no ids
        try mkdir("/dev/disk/by-id/wwn-0x5000c500a1b2c3d4")
        try mkdir("/dev/mapper/control")
        try mkdir("/dev/mapper/vg0-lun1")

        let hypervisor = try LibvirtHypervisor(uri: "test:///default")
        let capabilities = HostCapabilities(hostArch: "x86_64", guests: [.init(osType: "hvm", arch: "x86_64", domainTypes: ["qemu"])])
        let inventory = HostInventoryScan.scan(hypervisor, capabilities: capabilities, root: root)
        XCTAssertEqual(inventory.networks, ["default"], "the test driver runs one network, 'default'")
        XCTAssertEqual(inventory.bridges, ["br0"])
        XCTAssertEqual(inventory.pciDevices, ["0000:06:12.5"])
        XCTAssertEqual(inventory.usbDevices, ["1d6b:0002"])
        XCTAssertEqual(inventory.stableBlockDevices, ["/dev/disk/by-id/wwn-0x5000c500a1b2c3d4", "/dev/mapper/vg0-lun1"])
        XCTAssertEqual(inventory.domainCapabilities, [:], "the test driver has no domain capabilities: unknown, so CPU models are not checked")
    }
}
