import AgentAPI
import Foundation

/// The rule for a file that holds a secret (the cluster secret, a TLS key): only its owner may read it.
enum PrivateFile {
    /// Throws, naming `what` and the file, when it is missing or group or others may read it.
    static func check(_ path: String, as what: String) throws(APIError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw APIError("cannot read the \(what) \(path)") }
        guard info.st_mode & 0o077 == 0 else { throw APIError("\(what) \(path) must not be readable by group or others (chmod 600)") }
    }
}
