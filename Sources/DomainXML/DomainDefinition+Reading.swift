import Foundation

extension DomainDefinition {
    /// Reads and validates the definition from a `<domain>` root element.
    init(root: ElementView) throws(DomainXMLError) {
        guard root.name == "domain", root.namespaceURI == nil else {
            throw root.invalid("is the root element; expected <domain>")
        }
        let domainType = try root.requiredAttribute("type")
        guard let nameElement = root.child("name") else { throw root.invalid("has no <name>") }
        let name = nameElement.text
        guard !name.isEmpty else { throw nameElement.invalid("is empty") }
        let memory = try Self.memory(root)
        let vcpuElement = root.child("vcpu")
        let vcpus = try vcpuElement.map(Self.count) ?? 1
        let devices = root.child("devices")
        self.init(
            domainType: domainType,
            name: name,
            uuid: try root.child("uuid").map(Self.uuid),
            memoryKiB: memory,
            currentMemoryKiB: try root.child("currentMemory").map(Self.kibibytes).map { min($0, memory) },
            vcpus: vcpus,
            currentVcpus: try vcpuElement?.integerAttribute("current"),
            os: root.child("os").map(OperatingSystemBoot.init(element:)) ?? OperatingSystemBoot(),
            emulator: devices?.child("emulator")?.text,
            disks: try (devices?.children("disk") ?? []).map(Disk.init(element:)),
            filesystems: (devices?.children("filesystem") ?? []).map(SharedFilesystem.init(element:)),
            interfaces: (devices?.children("interface") ?? []).map(NetworkInterface.init(element:)),
            cpu: try Self.guestCPU(root),
            hostDevices: try Self.hostDevices(in: devices),
            serials: try Self.characterDevices("serial", in: devices),
            consoles: try Self.characterDevices("console", in: devices),
            channels: try Self.characterDevices("channel", in: devices),
            vigilMetadata: VigilMetadata.read(from: root)
        )
    }

    /// The guest's memory as libvirt sizes it: the sum of the NUMA cells (`<cpu><numa><cell memory=...>`)
    /// when there are any, since libvirt then ignores `<memory>`; otherwise `<memory>`.
    private static func memory(_ root: ElementView) throws(DomainXMLError) -> UInt64 {
        let cells = root.child("cpu")?.child("numa")?.children("cell") ?? []
        guard !cells.isEmpty else {
            guard let memoryElement = root.child("memory") else {
                throw root.invalid("has no <memory> and no NUMA cells (<cpu><numa><cell memory=...>) to size the guest")
            }
            return try kibibytes(memoryElement)
        }
        var total: UInt64 = 0
        for cell in cells {
            let (sum, overflow) = total.addingReportingOverflow(
                try kibibytes(of: cell, value: cell.requiredAttribute("memory")))
            guard !overflow else { throw cell.invalid("brings the NUMA cells' memory past what can be represented") }
            total = sum
        }
        return total
    }

    private static func guestCPU(_ root: ElementView) throws(DomainXMLError) -> GuestCPU? {
        guard let element = root.child("cpu") else { return nil }
        return try GuestCPU(element: element)
    }

    private static func hostDevices(in devices: ElementView?) throws(DomainXMLError) -> [HostDevice] {
        var found: [HostDevice] = []
        for element in devices?.children("hostdev") ?? [] {
            if let device = try HostDevice(element: element) { found.append(device) }
        }
        return found
    }

    private static func kibibytes(_ element: ElementView) throws(DomainXMLError) -> UInt64 {
        try kibibytes(of: element, value: element.text)
    }

    private static func kibibytes(of element: ElementView, value: String) throws(DomainXMLError) -> UInt64 {
        switch MemoryUnit.kibibytes(value: value, unit: element.attribute("unit")) {
        case let .success(kibibytes): return kibibytes
        case let .failure(problem): throw element.invalid(problem.description)
        }
    }

    private static func count(_ element: ElementView) throws(DomainXMLError) -> Int {
        guard let value = Int(element.text), value > 0 else {
            throw element.invalid("is not a positive integer: \"\(element.text)\"")
        }
        return value
    }

    private static func uuid(_ element: ElementView) throws(DomainXMLError) -> UUID {
        guard let uuid = UUID(libvirtString: element.text) else {
            throw element.invalid("is not a UUID: \"\(element.text)\"")
        }
        return uuid
    }

    private static func characterDevices(_ kind: String, in devices: ElementView?)
        throws(DomainXMLError) -> [CharacterDevice]
    {
        try (devices?.children(kind) ?? []).map(CharacterDevice.init(element:))
    }
}

extension UUID {
    /// Parses a UUID as libvirt accepts it: 32 hex digits, dashes optional.
    init?(libvirtString text: String) {
        let hex = text.filter { $0 != "-" }
        guard hex.count == 32, hex.allSatisfy(\.isHexDigit) else { return nil }
        let chars = Array(hex)
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(chars[$0]) }
        self.init(uuidString: groups.joined(separator: "-"))
    }

    /// The lowercase dashed form libvirt writes.
    var libvirtString: String { uuidString.lowercased() }
}

extension OperatingSystemBoot {
    /// Reads `<os>`; nothing in it is required.
    init(element: ElementView) {
        let type = element.child("type")
        self.init(
            type: type?.text,
            arch: type?.attribute("arch"),
            machine: type?.attribute("machine"),
            kernel: element.child("kernel")?.text,
            initrd: element.child("initrd")?.text,
            cmdline: element.child("cmdline")?.text,
            bootDevices: element.children("boot").compactMap { $0.attribute("dev") }
        )
    }
}

extension NetworkInterface {
    /// Reads `<interface>`.
    init(element: ElementView) {
        let source = element.child("source")
        self.init(
            type: element.attribute("type") ?? "",
            mac: element.child("mac")?.attribute("address"),
            sourceNetwork: source?.attribute("network"),
            sourceBridge: source?.attribute("bridge"),
            sourceDevice: source?.attribute("dev"),
            model: element.child("model")?.attribute("type")
        )
    }
}

extension CharacterDevice {
    /// Reads `<serial>`, `<console>` or `<channel>`; without a type it is a pty, as libvirt reads it.
    init(element: ElementView) throws(DomainXMLError) {
        let source = element.child("source")
        let target = element.child("target")
        self.init(
            type: element.nonEmptyAttribute("type") ?? "pty",
            sourcePath: source?.attribute("path"),
            sourceMode: source?.attribute("mode"),
            targetType: target?.attribute("type"),
            targetName: target?.attribute("name"),
            targetPort: try target?.integerAttribute("port")
        )
    }
}
