extension Disk {
    /// Reads and validates `<disk>`: a supported type and device, a source matching the type, a target.
    init(element: ElementView) throws(DomainXMLError) {
        let type = try element.enumAttribute("type", as: DiskType.self) ?? .file
        guard let targetElement = element.child("target") else { throw element.invalid("has no <target>") }
        let driver = element.child("driver")
        self.init(
            type: type,
            device: try element.enumAttribute("device", as: DiskDevice.self) ?? .disk,
            source: try element.child("source").map { source throws(DomainXMLError) in
                try DiskSource(element: source, type: type)
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
            source: try element.child("source").map { source throws(DomainXMLError) in
                try DiskSource(element: source, type: type)
            },
            backing: try Backing(parent: element)
        ))
    }
}

extension DiskSource {
    /// Reads a `<source>` according to the disk type that owns it.
    init(element: ElementView, type: DiskType) throws(DomainXMLError) {
        switch type {
        case .file:
            self = .file(path: try element.requiredAttribute("file"))
        case .block:
            self = .block(path: try element.requiredAttribute("dev"))
        case .volume:
            self = .volume(pool: try element.requiredAttribute("pool"), volume: try element.requiredAttribute("volume"))
        case .network:
            self = .network(NetworkDiskSource(
                protocol: try element.requiredAttribute("protocol"),
                name: element.attribute("name"),
                hosts: try element.children("host").map(NetworkHost.init(element:))
            ))
        }
    }
}

extension NetworkHost {
    /// Reads a network disk source's `<host>`.
    init(element: ElementView) throws(DomainXMLError) {
        self.init(name: element.attribute("name"), port: try element.integerAttribute("port"),
                  transport: element.attribute("transport"), socket: element.attribute("socket"))
    }
}
