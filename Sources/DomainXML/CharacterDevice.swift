/// A `<serial>`, `<console>` or `<channel>` device: its host side (type, source) and guest side (target).
public struct CharacterDevice: Sendable, Codable, Hashable {
    /// The host-side type: "pty", "unix", "file", "tcp", "spicevmc", ...
    public var type: String
    /// `<source path=...>` (unix sockets, files, ptys).
    public var sourcePath: String?
    /// `<source mode=...>`: "bind" or "connect".
    public var sourceMode: String?
    /// `<target type=...>`, e.g. "isa-serial", "serial", "virtio".
    public var targetType: String?
    /// `<target name=...>`, e.g. "org.qemu.guest_agent.0" for a channel.
    public var targetName: String?
    public var targetPort: Int?

    public init(type: String, sourcePath: String? = nil, sourceMode: String? = nil, targetType: String? = nil,
                targetName: String? = nil, targetPort: Int? = nil) {
        self.type = type
        self.sourcePath = sourcePath
        self.sourceMode = sourceMode
        self.targetType = targetType
        self.targetName = targetName
        self.targetPort = targetPort
    }
}
