import Foundation

/// Start-up check that libvirt's QEMU driver uses virtlockd: with it, a disk on shared storage can
/// never be opened by two hosts at once, even if a timing argument were wrong.
public enum LockManagerCheck {
    /// Throws unless `qemu.conf` at `path` sets `lock_manager = "lockd"` (uncommented).
    public static func verify(qemuConf path: String) throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw AgentError.lockManagerMissing(path: path, found: "the file cannot be read: \((error as NSError).localizedDescription)")
        }
        let setting = text.split(separator: "\n")
            .map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "" }
            .compactMap { line -> String? in
                let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                return parts.count == 2 && parts[0] == "lock_manager" ? parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"'")) : nil
            }
            .last
        guard setting == "lockd" else {
            throw AgentError.lockManagerMissing(path: path, found: setting.map { "lock_manager = \"\($0)\"" } ?? "no lock_manager setting")
        }
    }
}
