import Foundation

/// Lets the operator edit a text in their editor ($VISUAL, else $EDITOR, else vi), as `virsh edit` does.
struct EditorSession {
    let name: String

    /// The text as the operator saved it. The temporary file is removed afterwards.
    func edit(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-\(name)-\(UUID().uuidString.prefix(8)).xml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let environment = ProcessInfo.processInfo.environment
        let editor = environment["VISUAL"] ?? environment["EDITOR"] ?? "vi"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The editor may carry arguments ("code --wait"): the shell splits them; the file is "$1".
        process.arguments = ["-c", "\(editor) \"$1\"", "vigil-edit", path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CLIError("the editor (\(editor)) ended with status \(process.terminationStatus); nothing changed")
        }
        return try String(contentsOfFile: path, encoding: .utf8)
    }
}
