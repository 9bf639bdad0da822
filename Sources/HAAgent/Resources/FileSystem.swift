import Foundation

/// The few file operations the resource layer needs, with errors that name the path.
enum FileSystem {
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    static func createParent(of path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    }

    static func remove(_ path: String) throws {
        try FileManager.default.removeItem(atPath: path)
    }

    /// The size of the file at `path` in bytes, or nil when there is none.
    static func size(_ path: String) -> UInt64? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? UInt64
    }

    /// Renames the file to `path.failed` (replacing an older one) and returns the new path.
    static func setAside(_ path: String) throws -> String {
        let aside = path + ".failed"
        if exists(aside) { try remove(aside) }
        try FileManager.default.moveItem(atPath: path, toPath: aside)
        return aside
    }
}
