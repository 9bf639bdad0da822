/// One `<interface>` of a domain: its type, MAC address, where it connects and its model.
public struct NetworkInterface: Sendable, Codable, Hashable {
    /// "network", "bridge", "direct", "user", "ethernet", ...
    public var type: String
    public var mac: String?
    /// `<source network=...>` for type network.
    public var sourceNetwork: String?
    /// `<source bridge=...>` for type bridge.
    public var sourceBridge: String?
    /// `<source dev=...>` for type direct/ethernet.
    public var sourceDevice: String?
    /// `<model type=...>`, e.g. "virtio" or "e1000e".
    public var model: String?

    public init(type: String, mac: String? = nil, sourceNetwork: String? = nil, sourceBridge: String? = nil,
                sourceDevice: String? = nil, model: String? = nil) {
        self.type = type
        self.mac = mac
        self.sourceNetwork = sourceNetwork
        self.sourceBridge = sourceBridge
        self.sourceDevice = sourceDevice
        self.model = model
    }
}
