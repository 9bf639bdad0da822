import ClusterSchema
import Foundation

/// A storage resource as this host brings it online: a shared volume must simply be present, an
/// exclusive one is mounted on the owner only.
extension StorageResource {
    /// Brings the volume online on this host.
    public func online() throws {
        switch self {
        case .shared(let path):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw StorageError.missing(path)
            }
        case .exclusive(let device, let mountPoint):
            if try isMounted(mountPoint) { return }
            guard FileManager.default.fileExists(atPath: device) else { throw StorageError.missing(device) }
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
            try Command.run("/bin/mount", device, mountPoint)
        }
    }

    /// Takes the volume offline on this host (unmounts an exclusive one).
    public func offline() throws {
        guard case .exclusive(_, let mountPoint) = self, try isMounted(mountPoint) else { return }
        try Command.run("/bin/umount", mountPoint)
    }

    /// The directory the VMs' files lie under when the volume is online: its mount point, or its path.
    public var directory: String {
        switch self {
        case .shared(let path): path
        case .exclusive(_, let mountPoint): mountPoint
        }
    }

    /// Whether the volume is online on this host.
    public func isOnline() throws -> Bool {
        switch self {
        case .shared(let path): FileManager.default.fileExists(atPath: path)
        case .exclusive(_, let mountPoint): try isMounted(mountPoint)
        }
    }

    private func isMounted(_ mountPoint: String) throws -> Bool {
        let target = SharedStorage.resolved(mountPoint)
        let table = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        // Field 5 of each mountinfo line is the mount point (octal escapes for spaces).
        return table.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 && fields[4].replacingOccurrences(of: "\\040", with: " ") == target
        }
    }
}

/// Why a storage resource could not change state.
public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(String)
    case commandFailed(command: String, status: Int32, output: String)

    public var description: String {
        switch self {
        case .missing(let path): "storage \(path) does not exist on this host"
        case let .commandFailed(command, status, output): "\(command) failed with status \(status): \(output)"
        }
    }
}

/// Runs a short system command (mount, umount) and throws its output when it fails.
enum Command {
    static func run(_ executable: String, _ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw StorageError.commandFailed(command: ([executable] + arguments).joined(separator: " "),
                                             status: process.terminationStatus,
                                             output: String(decoding: output, as: UTF8.self))
        }
    }
}
