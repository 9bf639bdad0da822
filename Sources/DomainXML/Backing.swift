/// What a disk's XML says lies beneath an image (`<backingStore>`), recursively.
public indirect enum Backing: Sendable, Codable, Hashable {
    /// No `<backingStore>` element: unknown, libvirt probes the image when the domain starts.
    case unspecified
    /// An empty `<backingStore/>`: the image has no backing file.
    case none
    /// A `<backingStore type=...>` describing the next image down.
    case image(BackingImage)

    /// The images of the chain, top first.
    public var images: [BackingImage] {
        var result: [BackingImage] = []
        var current = self
        while case let .image(image) = current {
            result.append(image)
            current = image.backing
        }
        return result
    }
}

/// One `<backingStore>` image: its type, format, source and what lies beneath it.
public struct BackingImage: Sendable, Codable, Hashable {
    public var type: DiskType
    /// The `<format type=...>` ("qcow2", "raw", ...).
    public var format: String?
    public var source: DiskSource?
    public var backing: Backing

    public init(type: DiskType, format: String?, source: DiskSource?, backing: Backing = .unspecified) {
        self.type = type
        self.format = format
        self.source = source
        self.backing = backing
    }
}
