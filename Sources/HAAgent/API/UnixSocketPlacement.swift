import AgentAPI
import Foundation
import Synchronization

/// Puts the CLI's unix socket in place with its final mode and no window: the listener binds inside
/// a fresh directory only root may enter (mkdtemp, 0700), the socket gets its mode there, and only
/// then is it renamed to its public path, atomically replacing a stale one.
final class UnixSocketPlacement: Sendable {
    /// The path the CLI connects to.
    let path: String
    /// The path to bind: inside the private directory, beside `path`.
    let bindPath: String
    let mode: mode_t
    private let staging: String
    private let failure = Mutex<String?>(nil)
    /// The name of each private directory begins so.
    static let stagingPrefix = ".vigild-socket-"

    init(path: String, mode: mode_t) throws {
        let parent = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        // What an agent killed between bind and rename left behind (one agent per host: none is in use).
        for stale in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where stale.hasPrefix(Self.stagingPrefix) {
            unlink("\(parent)/\(stale)/s")
            rmdir("\(parent)/\(stale)")
        }
        var template = Array("\(parent)/\(Self.stagingPrefix)XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw APIError("cannot create a private directory beside the API socket \(path): \(String(cString: strerror(errno)))")
        }
        staging = String(cString: made)
        self.path = path
        self.mode = mode
        bindPath = staging + "/s"
    }

    /// Called once the listener is bound: gives the socket its mode and moves it into place.
    /// Returns false (and keeps the reason for `check`) when it could not.
    func publish() -> Bool {
        defer { rmdir(staging) }
        if chmod(bindPath, mode) != 0 || rename(bindPath, path) != 0 {
            let reason = "cannot put the API socket in place at \(path): \(String(cString: strerror(errno)))"
            unlink(bindPath)
            failure.withLock { $0 = reason }
            return false
        }
        return true
    }

    /// Throws the reason `publish` failed, if it did.
    func check() throws {
        if let reason = failure.withLock({ $0 }) { throw APIError(reason) }
    }

    /// Removes the private directory and anything left in it (a listener that never bound).
    func discard() {
        unlink(bindPath)
        rmdir(staging)
    }
}
