import Foundation
import Logging
import ServiceLifecycle

/// systemd's notify protocol (Type=notify, WatchdogSec=): READY=1 at start, WATCHDOG=1 at half the
/// watchdog interval, STOPPING=1 on shutdown. Does nothing when not started by systemd.
struct SystemdNotifier: Service, CustomStringConvertible {
    var description: String { "SystemdNotifier" }
    let logger: Logger

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let socket = environment["NOTIFY_SOCKET"] else {
            try? await gracefulShutdown()
            return
        }
        send("READY=1", to: socket)
        let interval = environment["WATCHDOG_USEC"].flatMap(UInt64.init).map { Duration.microseconds(Int64($0 / 2)) }
        while !Task.isShuttingDownGracefully {
            guard let interval else { try? await gracefulShutdown(); break }
            send("WATCHDOG=1", to: socket)
            try? await Task.sleep(for: interval)
        }
        send("STOPPING=1", to: socket)
    }

    private func send(_ message: String, to path: String) {
        let fd = Foundation.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // An abstract socket is named with a leading '@' in NOTIFY_SOCKET and a leading NUL on the wire.
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        _ = message.withCString { text in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, text, strlen(text), 0, $0, length) }
            }
        }
    }
}
