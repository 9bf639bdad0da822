extension Disk {
    /// Reads and validates `<disk>`: a known type and device, a source matching the type, a target.
    init(element: ElementView) throws(DomainXMLError) {
        let type = try element.enumAttribute("type", as: DiskType.self) ?? .file
        guard let targetElement = element.child("target") else { throw element.invalid("has no <target>") }
        let driver = element.child("driver")
        self.init(
            type: type,
            device: try element.enumAttribute("device", as: DiskDevice.self) ?? .disk,
            source: try element.child("source").flatMap { source throws(DomainXMLError) in
                try DiskSource.read(source, type: type)
            },
            target: DiskTarget(dev: try targetElement.requiredAttribute("dev"), bus: targetElement.attribute("bus")),
            driver: driver.map {
                DiskDriver(name: $0.attribute("name"), format: $0.attribute("type"), cache: $0.attribute("cache"))
            },
            readOnly: element.child("readonly") != nil,
            shareable: element.child("shareable") != nil,
            backing: try Backing(parent: element)
        )
    }
}

extension Backing {
    /// Reads the `<backingStore>` child of a disk or of another backing store.
    init(parent: ElementView) throws(DomainXMLError) {
        guard let element = parent.child("backingStore") else {
            self = .unspecified
            return
        }
        guard element.attribute("type") != nil || !element.allChildren.isEmpty else {
            self = .none
            return
        }
        let type = try element.enumAttribute("type", as: DiskType.self) ?? .file
        self = .image(BackingImage(
            type: type,
            format: element.child("format")?.attribute("type"),
            source: try element.child("source").flatMap { source throws(DomainXMLError) in
                try DiskSource.read(source, type: type)
            },
            backing: try Backing(parent: element)
        ))
    }
}

extension DiskSource {
    /// Reads a `<source>` according to the disk type that owns it. A file, block or dir source without
    /// its path is an empty drive (nil), as libvirt reads it: e.g. `<source startupPolicy='optional'/>`,
    /// the ejected CD-ROM of virt-install and oVirt.
    static func read(_ element: ElementView, type: DiskType) throws(DomainXMLError) -> DiskSource? {
        switch type {
        case .file:
            return element.nonEmptyAttribute("file").map { .file(path: $0) }
        case .block:
            return element.nonEmptyAttribute("dev").map { .block(path: $0) }
        case .dir:
            return element.nonEmptyAttribute("dir").map { .directory(path: $0) }
        case .volume:
            return .volume(pool: try element.requiredAttribute("pool"), volume: try element.requiredAttribute("volume"))
        case .network:
            return .network(NetworkDiskSource(
                protocol: try element.requiredAttribute("protocol"),
                name: element.attribute("name"),
                hosts: try element.children("host").map(NetworkHost.init(element:))
            ))
        case .nvme:
            guard let address = element.child("address") else { throw element.invalid("has no <address> of the NVMe controller") }
            return .nvme(NVMeDiskSource(pciAddress: try address.pciAddress(), namespace: try element.integerAttribute("namespace")))
        case .vhostuser:
            return .vhostUser(socket: try element.requiredAttribute("path"))
        case .vhostvdpa:
            return .vhostVDPA(device: try element.requiredAttribute("dev"))
        }
    }
}

extension ElementView {
    /// The attribute's value when present and not empty.
    func nonEmptyAttribute(_ attributeName: String) -> String? {
        attribute(attributeName).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A PCI `<address domain= bus= slot= function=>` (hex, "0x" optional) as "dddd:bb:ss.f".
    func pciAddress() throws(DomainXMLError) -> String {
        var parts: [Int] = []
        for name in ["domain", "bus", "slot", "function"] {
            let raw = attribute(name) ?? "0"
            let digits = raw.hasPrefix("0x") || raw.hasPrefix("0X") ? String(raw.dropFirst(2)) : raw
            guard let value = Int(digits, radix: 16), value >= 0 else {
                throw invalid("has a \(name) attribute that is not a hexadecimal number: \"\(raw)\"")
            }
            parts.append(value)
        }
        func hex(_ value: Int, _ width: Int) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(hex(parts[0], 4)):\(hex(parts[1], 2)):\(hex(parts[2], 2)).\(String(parts[3], radix: 16))"
    }
}

extension NetworkHost {
    /// Reads a network disk source's `<host>`.
    init(element: ElementView) throws(DomainXMLError) {
        self.init(name: element.attribute("name"), port: try element.integerAttribute("port"),
                  transport: element.attribute("transport"), socket: element.attribute("socket"))
    }
}
