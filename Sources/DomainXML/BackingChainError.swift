/// Why a disk image's backing chain could not be resolved from the files; each case names the file.
public enum BackingChainError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The image does not exist; `referencedBy` is the image whose header names it (nil for the top).
    case missingImage(path: String, referencedBy: String?)
    /// The image exists but could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The qcow2 header is cut short or inconsistent.
    case corruptHeader(path: String, problem: String)
    /// The image was declared qcow2 but does not start with the qcow2 magic.
    case notQCow2(path: String)
    /// A qcow2 version other than 2 or 3.
    case unsupportedVersion(path: String, version: UInt32)
    /// A backing format Vigil cannot follow (only qcow2 and raw are).
    case unsupportedFormat(path: String, format: String)
    /// A backing file that is not a local path (e.g. "nbd://..." or "json:{...}").
    case unsupportedBackingFile(path: String, backingFile: String)
    /// The chain comes back to an image already in it.
    case loop(chain: [String])

    public var description: String {
        switch self {
        case let .missingImage(path, referencedBy?):
            return "backing image \(path) does not exist (named by \(referencedBy))"
        case let .missingImage(path, nil):
            return "disk image \(path) does not exist"
        case let .unreadable(path, reason):
            return "cannot read disk image \(path): \(reason)"
        case let .corruptHeader(path, problem):
            return "disk image \(path) has a corrupt qcow2 header: \(problem)"
        case let .notQCow2(path):
            return "disk image \(path) is declared qcow2 but has no qcow2 header"
        case let .unsupportedVersion(path, version):
            return "disk image \(path) is qcow2 version \(version); only versions 2 and 3 are supported"
        case let .unsupportedFormat(path, format):
            return "disk image \(path) has format \"\(format)\"; only qcow2 and raw chains are supported"
        case let .unsupportedBackingFile(path, backingFile):
            return "disk image \(path) has a backing file that is not a local path: \(backingFile)"
        case let .loop(chain):
            return "backing chain loops: \(chain.joined(separator: " -> "))"
        }
    }
}
