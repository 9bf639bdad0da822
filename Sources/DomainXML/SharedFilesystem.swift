/// One `<filesystem>` of a domain: a host directory (or image) the guest mounts, e.g. over virtiofs or 9p.
public struct SharedFilesystem: Sendable, Codable, Hashable {
    /// "mount" (libvirt's default: a host directory), "block", "file", "ram", "bind", "template", ...
    public var type: String
    /// The host side: `<source dir=...>` for mount and bind, `<source dev=...>` or `<source file=...>` for block and file.
    public var sourcePath: String?
    /// The mount tag the guest sees (`<target dir=...>`).
    public var target: String?

    public init(type: String, sourcePath: String? = nil, target: String? = nil) {
        self.type = type
        self.sourcePath = sourcePath
        self.target = target
    }
}

extension SharedFilesystem {
    /// Reads `<filesystem>`; without a type it is a mount, as libvirt reads it.
    init(element: ElementView) {
        let source = element.child("source")
        self.init(
            type: element.nonEmptyAttribute("type") ?? "mount",
            sourcePath: ["dir", "dev", "file"].lazy.compactMap { source?.nonEmptyAttribute($0) }.first,
            target: element.child("target")?.nonEmptyAttribute("dir")
        )
    }
}
