/// One image of a resolved on-disk backing chain.
public struct ChainImage: Sendable, Codable, Hashable {
    /// The path as opened: the given top path, or a backing name joined to its parent's directory.
    public var path: String
    public var format: ImageFormat
    /// The guest-visible size in bytes (qcow2 header size; for raw, the file size).
    public var virtualSize: UInt64
    /// The backing file name exactly as the qcow2 header stores it.
    public var backingFile: String?
    /// The backing format from the qcow2 header extension, if recorded.
    public var backingFormat: String?

    public init(path: String, format: ImageFormat, virtualSize: UInt64, backingFile: String? = nil,
                backingFormat: String? = nil) {
        self.path = path
        self.format = format
        self.virtualSize = virtualSize
        self.backingFile = backingFile
        self.backingFormat = backingFormat
    }
}

/// The disk image formats a backing chain can be followed through.
public enum ImageFormat: String, Sendable, Codable, Hashable, CaseIterable {
    case qcow2, raw

    /// The format called `name` (as in `<driver type>` or a qcow2 header), or `unsupportedFormat` naming `path`.
    static func named(_ name: String, forImage path: String) throws(BackingChainError) -> ImageFormat {
        guard let format = ImageFormat(rawValue: name) else { throw .unsupportedFormat(path: path, format: name) }
        return format
    }
}
