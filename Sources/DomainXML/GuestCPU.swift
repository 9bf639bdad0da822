/// The guest CPU a domain asks for (`<cpu mode=...><model>`): what decides which hosts can run it
/// and between which it can be live-migrated.
public struct GuestCPU: Sendable, Codable, Hashable {
    /// How libvirt derives the guest CPU.
    public enum Mode: String, Sendable, Codable, Hashable, CaseIterable {
        /// The named model (and features), the same on every host that offers it.
        case custom
        /// The host's CPU model as libvirt expands it on the host where the domain starts.
        case hostModel = "host-model"
        /// The host's CPU exactly: a guest sees different CPUs on different hosts.
        case hostPassthrough = "host-passthrough"
        /// Everything the host's hypervisor can give (like host-passthrough under KVM).
        case maximum
    }

    public var mode: Mode
    /// The model name (`<model>`), for `custom` (and a fallback hint for `host-model`).
    public var model: String?
    /// `<model fallback='forbid'>`: libvirt must not substitute a close model when this one is unusable.
    public var fallbackForbidden: Bool

    public init(mode: Mode, model: String? = nil, fallbackForbidden: Bool = false) {
        self.mode = mode
        self.model = model
        self.fallbackForbidden = fallbackForbidden
    }

    /// Whether the guest sees the host's own CPU, so that hosts with different CPUs give it different ones.
    public var followsTheHost: Bool { mode == .hostPassthrough || mode == .maximum }
}

extension GuestCPU {
    /// Reads `<cpu>`; nil when it names neither a mode nor a model (e.g. only NUMA cells or a topology).
    init?(element: ElementView) throws(DomainXMLError) {
        let modelElement = element.child("model")
        let model = modelElement.map(\.text).flatMap { $0.isEmpty ? nil : $0 }
        let mode: Mode
        if let text = element.attribute("mode") {
            guard let m = Mode(rawValue: text) else {
                throw element.invalid("has mode '\(text)'; expected one of \(Mode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            mode = m
        } else if model != nil {
            mode = .custom  // libvirt's default when a model is named
        } else {
            return nil
        }
        self.init(mode: mode, model: model, fallbackForbidden: modelElement?.attribute("fallback") == "forbid")
    }
}
