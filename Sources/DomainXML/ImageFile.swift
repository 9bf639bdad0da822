#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A disk image opened read-only for header reads; closes its descriptor in `deinit`.
final class ImageFile {
    let path: String
    private let descriptor: Int32

    /// Opens `path`; a missing file gives `missingImage` naming `referencedBy`.
    init(path: String, referencedBy: String?) throws(BackingChainError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw .missingImage(path: path, referencedBy: referencedBy) }
            throw .unreadable(path: path, reason: String(cString: strerror(code)))
        }
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// The size in bytes; seeking to the end also works for block devices, where `fstat` says 0.
    func size() throws(BackingChainError) -> UInt64 {
        let end = lseek(descriptor, 0, SEEK_END)
        guard end >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        return UInt64(end)
    }

    /// Up to `count` bytes at `offset` (fewer at the end of the file).
    func read(_ count: Int, at offset: UInt64) throws(BackingChainError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let result = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if result == 0 { break }
            filled += result
        }
        return Array(bytes[..<filled])
    }

    /// Exactly `count` bytes at `offset`, or a `corruptHeader` error naming `what`.
    func readExactly(_ count: Int, at offset: UInt64, what: String) throws(BackingChainError) -> [UInt8] {
        let bytes = try read(count, at: offset)
        guard bytes.count == count else {
            throw .corruptHeader(path: path, problem: "\(what) at offset \(offset) lies past the end of the file")
        }
        return bytes
    }
}

/// The path of the file itself, following symlinks (for loop detection).
func canonicalPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}
