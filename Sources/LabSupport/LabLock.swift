import Dispatch
import Foundation

/// An exclusive lock on "the lab" of this machine (`flock` on /run/lock/vigil-lab.lock), held from
/// `up` to `down` by `Lab.with`: labs share namespace names, so concurrent test processes, or
/// suites in one process, take turns. The kernel releases it if the holder dies.
final class LabLock: Sendable {
    static let path = "/run/lock/vigil-lab.lock"
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Waits (off the cooperative pool) until this process holds the lab.
    static func acquire() async throws -> LabLock {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                try? FileManager.default.createDirectory(atPath: "/run/lock", withIntermediateDirectories: true)
                let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
                guard fd >= 0 else {
                    continuation.resume(throwing: LabError.hostUnsupported(message: "cannot open \(path): errno \(errno)"))
                    return
                }
                while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
                continuation.resume(returning: LabLock(descriptor: fd))
            }
        }
    }

    /// Releases the lab for the next user.
    func release() { close(descriptor) }
}
