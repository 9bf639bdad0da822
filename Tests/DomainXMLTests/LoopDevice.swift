import Foundation

/// A loop device over a file, detached again when the body returns or throws.
enum LoopDevice {
    static func attach(_ file: String, _ body: (String) throws -> Void) throws {
        let device = try run("--find", "--show", "--read-only", file)
        defer { _ = try? run("--detach", device) }
        try body(device)
    }

    private static func run(_ arguments: String...) throws -> String {
        let output = try runTool("/usr/sbin/losetup", arguments, hint: "needs root and loop devices")
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
