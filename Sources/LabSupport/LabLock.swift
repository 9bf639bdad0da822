import Foundation
import Blocking

/// An exclusive lock on "the lab" of this machine (`flock` on /run/lock/vigil-lab.lock), held from
/// `up` to `down` by `Lab.with`: labs share namespace names, so concurrent test processes, or
/// suites in one process, take turns. The kernel releases it if the holder dies.
final class LabLock: Sendable {
    static let path = "/run/lock/vigil-lab.lock"
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Waits (off the cooperative pool, polling) until this process holds the lab; after `timeout`
    /// seconds it fails naming the holder's PID, recorded in the lock file.
    static func acquire(timeout: Double = 1200) async throws -> LabLock {
        try await BlockingCall.run("vigil-lab-lock") { () throws(LabError) -> LabLock in try acquireBlocking(timeout: timeout) }
    }

    private static func acquireBlocking(timeout: Double) throws(LabError) -> LabLock {
        try? FileManager.default.createDirectory(atPath: "/run/lock", withIntermediateDirectories: true)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LabError.hostUnsupported(message: "cannot open \(path): errno \(errno)") }
        let deadline = Date().addingTimeInterval(timeout)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard Date() < deadline else {
                let holder = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "?"
                close(fd)
                throw LabError.busy(holder: holder.trimmingCharacters(in: .whitespacesAndNewlines), seconds: timeout)
            }
            usleep(200_000)
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        return LabLock(descriptor: fd)
    }

    /// Releases the lab for the next user.
    func release() { close(descriptor) }
}
