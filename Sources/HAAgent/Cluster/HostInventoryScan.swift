import ClusterSchema
import DomainXML
import Foundation

/// Reads this host's inventory for its profile: the hypervisor's networks and CPU models, and from
/// sysfs and /dev the bridges, PCI and USB devices and stable block device names. Blocks.
enum HostInventoryScan {
    /// The directories of stable block device names (the same rule the wizard applies to disk paths).
    static var stableDeviceDirectories: [String] { BlockDevicePath.stablePrefixes.map { String($0.dropLast()) } }

    static func scan(_ hypervisor: some Hypervisor, capabilities: HostCapabilities, root: String = "") -> HostInventory {
        var domainCapabilities: [String: DomainCapabilities] = [:]
        let types = capabilities.guests.filter { $0.arch == capabilities.hostArch }.reduce(into: Set<String>()) { $0.formUnion($1.domainTypes) }
        for type in types.sorted() {
            if let xml = try? hypervisor.domainCapabilities(virtType: type), let parsed = try? DomainCapabilities(xml: xml) {
                domainCapabilities[type] = parsed
            }
        }
        let net = "\(root)/sys/class/net"
        let usb = "\(root)/sys/bus/usb/devices"
        return HostInventory(
            networks: (try? hypervisor.activeNetworks()).map(Set.init),
            bridges: Set(entries(net).filter { FileManager.default.fileExists(atPath: "\(net)/\($0)/bridge") }),
            domainCapabilities: domainCapabilities,
            pciDevices: Set(entries("\(root)/sys/bus/pci/devices")),
            usbDevices: Set(entries(usb).compactMap { device in
                guard let vendor = firstLine("\(usb)/\(device)/idVendor"), let product = firstLine("\(usb)/\(device)/idProduct") else { return nil }
                return "\(vendor.lowercased()):\(product.lowercased())"
            }),
            stableBlockDevices: Set(stableDeviceDirectories.flatMap { dir in
                entries("\(root)\(dir)").filter { $0 != "control" }.map { "\(dir)/\($0)" }
            }))
    }

    private static func entries(_ directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    }

    private static func firstLine(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").first.map(String.init)
    }
}
