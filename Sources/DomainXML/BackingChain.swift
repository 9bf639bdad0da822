/// Resolves a disk image's backing chain from the image files' own qcow2 headers (no qemu-img, no libvirt).
public enum BackingChain {
    /// Follows the chain from the image at `path` down to an image without a backing file.
    ///
    /// `format` is the top image's declared format (e.g. the disk's `<driver type>`); nil probes for the
    /// qcow2 magic. Relative backing names are taken relative to the directory of the image naming them,
    /// as qemu does. Backing images are opened as the format their parent's header declares (probed when
    /// the header declares none). Returns the images top first.
    public static func resolve(path: String, format: ImageFormat? = nil) throws(BackingChainError) -> [ChainImage] {
        var chain: [ChainImage] = []
        var visited: Set<String> = []
        var next: (path: String, format: ImageFormat?, referencedBy: String?)? = (path, format, nil)
        while let current = next {
            let file = try ImageFile(path: current.path, referencedBy: current.referencedBy)
            guard visited.insert(canonicalPath(current.path)).inserted else {
                throw .loop(chain: chain.map(\.path) + [current.path])
            }
            let image = try read(file, as: current.format)
            chain.append(image)
            if let backingFile = image.backingFile {
                let format = try image.backingFormat.map { name throws(BackingChainError) in
                    try ImageFormat.named(name, forImage: image.path)
                }
                next = (try backingPath(backingFile, of: image.path), format, image.path)
            } else {
                next = nil
            }
        }
        return chain
    }

    /// Reads one image as `format` (probing when nil).
    private static func read(_ file: ImageFile, as format: ImageFormat?) throws(BackingChainError) -> ChainImage {
        let isQCow2 = try QCow2Header.hasMagic(file)
        switch format ?? (isQCow2 ? .qcow2 : .raw) {
        case .raw:
            return ChainImage(path: file.path, format: .raw, virtualSize: try file.size())
        case .qcow2:
            guard isQCow2 else { throw .notQCow2(path: file.path) }
            let header = try QCow2Header(file: file)
            return ChainImage(path: file.path, format: .qcow2, virtualSize: header.virtualSize,
                              backingFile: header.backingFile, backingFormat: header.backingFormat)
        }
    }

    /// The path of `backingFile` as qemu opens it: absolute as is, else relative to the parent's directory.
    static func backingPath(_ backingFile: String, of parent: String) throws(BackingChainError) -> String {
        if backingFile.hasPrefix("json:") || backingFile.contains("://") {
            throw .unsupportedBackingFile(path: parent, backingFile: backingFile)
        }
        if backingFile.hasPrefix("/") { return backingFile }
        guard let slash = parent.lastIndex(of: "/") else { return backingFile }
        return String(parent[...slash]) + backingFile
    }
}
