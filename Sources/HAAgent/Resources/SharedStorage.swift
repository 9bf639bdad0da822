import Foundation

/// The directory every host mounts at the same path, holding HA domain XML, disks and save images.
public struct SharedStorage: Sendable, Equatable {
    /// The shared directory, without symbolic links.
    public let root: String

    public init(root: String) {
        self.root = SharedStorage.resolved(root)
    }

    /// Whether `path`, once symbolic links and `..` are resolved, lies inside the shared directory.
    public func contains(_ path: String) -> Bool { SharedStorage.path(path, liesUnder: root) }

    /// Whether `path`, once symbolic links and `..` are resolved, is the directory `directory` or lies beneath it.
    static func path(_ path: String, liesUnder directory: String) -> Bool {
        let resolved = SharedStorage.resolved(path), top = SharedStorage.resolved(directory)
        return resolved == top || resolved.hasPrefix(top.hasSuffix("/") ? top : top + "/")
    }

    /// Where quick migration writes a domain's saved memory: named after the move, so that no other
    /// move (an older image left by a failed one) can ever be restored in its place.
    public func saveImagePath(for domain: String, move: String) -> String {
        let id = String(move.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        return "\(saveImageDirectory)/\(domain).\(id).save"
    }

    /// The directory of save images.
    public var saveImageDirectory: String { "\(root)/.vigil/state" }

    /// The domain's save images of other moves than the one at `current` (never restorable: removed
    /// at the next save). Images set aside after a failed restore (`.failed`) are kept for inspection.
    func staleSaveImages(of domain: String, except current: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: saveImageDirectory)) ?? []
        // <domain>.<move>.save, the move's id having no dot (so "vm.1.<move>.save" is not vm's).
        return names.filter { name in
            guard name.hasPrefix("\(domain)."), name.hasSuffix(".save") else { return false }
            let move = name.dropFirst(domain.count + 1).dropLast(".save".count)
            return !move.isEmpty && !move.contains(".")
        }.map { "\(saveImageDirectory)/\($0)" }.filter { $0 != current }
    }

    /// Where this host's storage check writes (`check`).
    func checkPath(for node: String) -> String { "\(root)/.vigil/checks/\(node)" }

    /// Checks that the storage works from this host: a fresh file is written, flushed, read back and
    /// removed, and `marker` (the token this host wrote there at start-up, see `StorageMarker`) still
    /// reads the same, so a mount point left empty (the share unmounted under it) is no storage.
    /// Blocks for as long as the storage does (a hard NFS mount without its server: indefinitely):
    /// callers bound it (`BoundedCall`).
    func check(as node: String, marker: (path: String, token: String)?) throws {
        let path = checkPath(for: node)
        let token = UUID().uuidString
        do {
            try FileSystem.createParent(of: path)
            try AtomicFile.write(token, to: path)
        } catch {
            throw StorageCheckError.cannotWrite(path, "\(error)")
        }
        let read = try? String(contentsOfFile: path, encoding: .utf8)
        unlink(path)
        guard read == token else { throw StorageCheckError.readBackDiffers(path) }
        if let marker, (try? String(contentsOfFile: marker.path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) != marker.token {
            throw StorageCheckError.markerChanged(marker.path)
        }
    }

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

/// Why shared storage failed its check on this host.
enum StorageCheckError: Error, Equatable, CustomStringConvertible {
    case cannotWrite(String, String)
    case readBackDiffers(String)
    case markerChanged(String)

    var description: String {
        switch self {
        case let .cannotWrite(path, error): "cannot write \(path): \(error)"
        case .readBackDiffers(let path): "\(path) does not read back what was written"
        case .markerChanged(let path): "\(path), written at start-up, is gone or changed: this is not the storage it was"
        }
    }
}
