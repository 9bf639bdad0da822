/// What a host's hypervisor can run, read from libvirt's capabilities XML
/// (`virConnectGetCapabilities`): per guest OS type and architecture, the domain types (kvm, qemu),
/// the emulator and the machine types. Lets one host tell whether another could run a domain.
public struct HostCapabilities: Sendable, Codable, Hashable {
    /// One `<guest>` entry: an OS type and architecture this host runs.
    public struct Guest: Sendable, Codable, Hashable {
        public var osType: String
        public var arch: String
        public var emulator: String?
        /// Machine type names, aliases included (e.g. "pc" and "pc-i440fx-7.2").
        public var machines: Set<String>
        /// Domain types offered for this architecture ("qemu" always; "kvm" where KVM is usable).
        public var domainTypes: Set<String>

        public init(osType: String, arch: String, emulator: String? = nil, machines: Set<String> = [], domainTypes: Set<String> = []) {
            self.osType = osType
            self.arch = arch
            self.emulator = emulator
            self.machines = machines
            self.domainTypes = domainTypes
        }
    }

    /// The host's own CPU architecture (`<host><cpu><arch>`), which libvirt assumes for a domain
    /// that names none.
    public var hostArch: String?
    /// The host CPU's model and vendor as libvirt names them (`<host><cpu><model>`, `<vendor>`); nil
    /// when libvirt gives none (or an older agent published the record).
    public var hostCPUModel: String?
    public var hostCPUVendor: String?
    public var guests: [Guest]

    public init(hostArch: String?, hostCPUModel: String? = nil, hostCPUVendor: String? = nil, guests: [Guest]) {
        self.hostArch = hostArch
        self.hostCPUModel = hostCPUModel
        self.hostCPUVendor = hostCPUVendor
        self.guests = guests
    }

    /// Parses libvirt's capabilities XML; throws naming the line when it is not capabilities XML.
    public init(xml: String) throws(DomainXMLError) {
        self = try LibXML2.withRoot(xml, expected: "capabilities") { root throws(DomainXMLError) in
            let hostCPU = root.child("host")?.child("cpu")
            let guests = try root.children("guest").map { guest throws(DomainXMLError) in
                guard let arch = guest.child("arch") else { throw guest.invalid("has no <arch>") }
                let domains = arch.children("domain")
                let machines = (arch.children("machine") + domains.flatMap { $0.children("machine") }).map(\.text)
                return Guest(osType: guest.child("os_type")?.text ?? "hvm", arch: try arch.requiredAttribute("name"),
                             emulator: arch.child("emulator")?.text, machines: Set(machines),
                             domainTypes: Set(domains.compactMap { $0.attribute("type") }))
            }
            return HostCapabilities(hostArch: hostCPU?.child("arch")?.text, hostCPUModel: hostCPU?.child("model")?.text,
                                    hostCPUVendor: hostCPU?.child("vendor")?.text, guests: guests)
        }
    }

    /// Why this host cannot run `domain`, each a sentence; empty when it can.
    public func problems(running domain: DomainDefinition) -> [String] {
        let osType = domain.os.type ?? "hvm"
        guard let arch = domain.os.arch ?? hostArch else { return ["the host's architecture is unknown"] }
        let candidates = guests.filter { $0.osType == osType && $0.arch == arch }
        guard !candidates.isEmpty else {
            let offered = Set(guests.map { "\($0.osType)/\($0.arch)" }).sorted().joined(separator: ", ")
            return ["runs no \(osType) guests of architecture \(arch) (offers \(offered.isEmpty ? "none" : offered))"]
        }
        var problems: [String] = []
        let types = candidates.reduce(into: Set<String>()) { $0.formUnion($1.domainTypes) }
        if !types.contains(domain.domainType) {
            problems.append("cannot run domain type '\(domain.domainType)' for \(arch) (offers \(types.sorted().joined(separator: ", ")))")
        }
        if let machine = domain.os.machine, !candidates.contains(where: { $0.machines.contains(machine) }) {
            problems.append("has no machine type '\(machine)' for \(arch) (its QEMU is older or built differently)")
        }
        return problems
    }
}
