/// A host device passed through to the guest (`<hostdev mode='subsystem'>`): hardware of one host,
/// which every host the VM may run on must have at the same address or with the same identity.
public enum HostDevice: Sendable, Codable, Hashable, CustomStringConvertible {
    /// A PCI function by its host address, as sysfs names it ("0000:06:12.5").
    case pci(address: String)
    /// A USB device by vendor and product ("1234:beef"), as lsusb shows them.
    case usb(vendorProduct: String)
    /// A USB device by its bus and device number: they change when it is replugged and differ between hosts.
    case usbAddress(bus: Int, device: Int)
    /// Another kind (SCSI, mediated device, ...), named by its type.
    case other(type: String)

    public var description: String {
        switch self {
        case let .pci(address): "PCI device \(address)"
        case let .usb(vendorProduct): "USB device \(vendorProduct)"
        case let .usbAddress(bus, device): "USB device at bus \(bus) device \(device)"
        case let .other(type): "\(type) host device"
        }
    }
}

extension HostDevice {
    /// Reads `<hostdev>`; nil for `mode='capabilities'` devices (storage or misc from an LXC host).
    init?(element: ElementView) throws(DomainXMLError) {
        guard (element.attribute("mode") ?? "subsystem") == "subsystem" else { return nil }
        let type = element.attribute("type") ?? ""
        let source = element.child("source")
        switch type {
        case "pci":
            guard let address = source?.child("address") else { throw element.invalid("is a PCI host device without <source><address>") }
            func field(_ name: String, digits: Int) throws(DomainXMLError) -> String {
                let text = address.attribute(name) ?? (name == "domain" ? "0" : "")
                let hex = text.hasPrefix("0x") ? String(text.dropFirst(2)) : text
                guard let value = Int(hex, radix: 16), value >= 0 else { throw address.invalid("has a bad \(name) '\(text)'") }
                let s = String(value, radix: 16)
                return String(repeating: "0", count: max(0, digits - s.count)) + s
            }
            self = .pci(address: "\(try field("domain", digits: 4)):\(try field("bus", digits: 2)):\(try field("slot", digits: 2)).\(try field("function", digits: 1))")
        case "usb":
            if let vendor = source?.child("vendor")?.attribute("id"), let product = source?.child("product")?.attribute("id") {
                func hex(_ s: String) -> String { (s.hasPrefix("0x") ? String(s.dropFirst(2)) : s).lowercased() }
                self = .usb(vendorProduct: "\(hex(vendor)):\(hex(product))")
            } else if let address = source?.child("address"), let bus = try address.integerAttribute("bus"),
                      let device = try address.integerAttribute("device") {
                self = .usbAddress(bus: bus, device: device)
            } else {
                throw element.invalid("is a USB host device with neither <vendor>/<product> nor <address bus device>")
            }
        default:
            self = .other(type: type.isEmpty ? "untyped" : type)
        }
    }
}
