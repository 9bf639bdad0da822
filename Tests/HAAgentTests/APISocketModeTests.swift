import Foundation
import NIOCore
import NIOPosix
import Synchronization
import XCTest
@testable import HAAgent

/// The CLI's unix socket is never reachable by anyone but root, not even for a moment while the
/// agent starts: it appears at its path already with mode 0600.
final class APISocketModeTests: XCTestCase {
    func testPlacementBindsPrivatelyAndRenamesTheSocketIntoPlaceWithItsMode() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-sock-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/run/vigild.sock"
        // Left by an agent killed between bind and rename: cleared.
        let stale = directory + "/run/\(UnixSocketPlacement.stagingPrefix)old"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: stale + "/s", contents: nil)
        let placement = try UnixSocketPlacement(path: path, mode: 0o600)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale), "a stale private directory is removed")
        let staging = (placement.bindPath as NSString).deletingLastPathComponent
        XCTAssertEqual(try mode(of: staging), 0o700, "only root may enter the directory the socket is bound in")
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: placement.bindPath).get()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing at the public path before the socket has its mode")
        XCTAssertTrue(placement.publish())
        XCTAssertNoThrow(try placement.check())
        XCTAssertEqual(try mode(of: path), 0o600)
        XCTAssertFalse(FileManager.default.fileExists(atPath: staging), "the private directory is gone")
        try await server.close()

        // A public path that cannot be replaced (a directory is there): a clear error, nothing left behind.
        let blocked = directory + "/blocked.sock"
        try FileManager.default.createDirectory(atPath: blocked + "/inside", withIntermediateDirectories: true)
        let second = try UnixSocketPlacement(path: blocked, mode: 0o600)
        let other = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: second.bindPath).get()
        XCTAssertFalse(second.publish())
        XCTAssertThrowsError(try second.check()) { XCTAssertTrue("\($0)".contains("cannot put the API socket in place at \(blocked)"), "\($0)") }
        try await other.close()
        let left = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(UnixSocketPlacement.stagingPrefix) }
        XCTAssertEqual(left, [], "no private directory left behind")
    }

    func testTheAgentsSocketIsNeverSeenWorldAccessible() async throws {
        let h = try AgentHarness()
        let socket = h.configuration.api.socket
        // A stale file from an earlier run, open to all: replaced, not reused.
        try FileManager.default.createDirectory(atPath: (socket as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: socket, contents: nil, attributes: [.posixPermissions: 0o666])
        let seen = Mutex<Set<mode_t>>([])
        let done = Mutex(false)
        let watcher = Thread {
            // Watches the public path as fast as it can while the agent starts.
            while !done.withLock({ $0 }) {
                var info = stat()
                if lstat(socket, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK {
                    seen.withLock { _ = $0.insert(info.st_mode & 0o7777) }
                }
            }
        }
        watcher.start()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        done.withLock { $0 = true }
        let modes = seen.withLock { $0 }.map { String($0, radix: 8) }.sorted()
        XCTAssertEqual(modes, ["600"], "every look at the socket found mode 0600")
        XCTAssertEqual(try mode(of: socket), 0o600)
        let dir = (socket as NSString).deletingLastPathComponent
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(UnixSocketPlacement.stagingPrefix) }
        XCTAssertEqual(left, [], "the private directory is gone once the socket is in place")
        await h.stop()
    }

    private func mode(of path: String) throws -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw CocoaError(.fileNoSuchFile) }
        return info.st_mode & 0o7777
    }
}
