import Foundation

/// The directory every host mounts at the same path, holding HA domain XML, disks and save images.
public struct SharedStorage: Sendable, Equatable {
    /// The shared directory, without symbolic links.
    public let root: String

    public init(root: String) {
        self.root = SharedStorage.resolved(root)
    }

    /// Whether `path`, once symbolic links and `..` are resolved, lies inside the shared directory.
    public func contains(_ path: String) -> Bool {
        let resolved = SharedStorage.resolved(path)
        return resolved == root || resolved.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// Where quick migration writes a domain's saved memory.
    public func saveImagePath(for domain: String) -> String { "\(root)/.vigil/state/\(domain).save" }

    static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}

/// Writes a file atomically: a temporary file beside it, flushed, then renamed over the target, so a
/// reader (or a crash) sees the old content or the new, never half of it.
enum AtomicFile {
    static func write(_ contents: String, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = "\(directory)/.\((path as NSString).lastPathComponent).\(UUID().uuidString).tmp"
        guard let data = contents.data(using: .utf8) else { throw CocoaError(.fileWriteInapplicableStringEncoding) }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var ok = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) == $0.count }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            let code = POSIXErrorCode(rawValue: errno) ?? .EIO
            unlink(temporary)
            throw POSIXError(code)
        }
    }
}
