/// What one host's hypervisor offers a domain's CPU, read from libvirt's domain capabilities XML
/// (`virConnectGetDomainCapabilities`): the named CPU models it can run on this host's CPU.
public struct DomainCapabilities: Sendable, Codable, Hashable {
    /// Models of `<cpu><mode name='custom'>` with `usable='yes'`: a domain asking for one runs here.
    public var usableCPUModels: Set<String>
    /// Models libvirt knows but this host's CPU cannot run (`usable='no'`).
    public var unusableCPUModels: Set<String>
    /// Whether `host-passthrough` is supported here.
    public var hostPassthrough: Bool

    public init(usableCPUModels: Set<String>, unusableCPUModels: Set<String> = [], hostPassthrough: Bool = true) {
        self.usableCPUModels = usableCPUModels
        self.unusableCPUModels = unusableCPUModels
        self.hostPassthrough = hostPassthrough
    }

    /// Parses domain capabilities XML; throws naming the line when it is not.
    public init(xml: String) throws(DomainXMLError) {
        self = try LibXML2.withRoot(xml, expected: "domainCapabilities") { root in
            let modes = root.child("cpu")?.children("mode") ?? []
            let custom = modes.first { $0.attribute("name") == "custom" && $0.attribute("supported") == "yes" }
            let models = custom?.children("model") ?? []
            return DomainCapabilities(
                usableCPUModels: Set(models.filter { $0.attribute("usable") == "yes" }.map(\.text)),
                unusableCPUModels: Set(models.filter { $0.attribute("usable") == "no" }.map(\.text)),
                hostPassthrough: modes.contains { $0.attribute("name") == "host-passthrough" && $0.attribute("supported") == "yes" })
        }
    }
}
