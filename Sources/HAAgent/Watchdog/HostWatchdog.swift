import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An armed Linux watchdog device (`/dev/watchdog`, or a FIFO read by an emulator such as the lab's):
/// opening arms it, `pet()` keeps it from resetting the host, `disarm()` stops it (magic close).
///
/// Owns its file descriptor. Closing it without `disarm()` (deinit, a crash, kill -9) leaves the
/// watchdog armed, so the host is reset one timeout after the last pet unless an agent opens it again
/// and pets in time. Writes never block (`O_NONBLOCK`), and SIGPIPE is ignored for FIFOs, so a
/// vanished emulator makes `pet()` throw instead of hanging or killing the agent.
public final class HostWatchdog {
    /// `_IOWR('W', 6, int)` and `_IOR('W', 7, int)` from <linux/watchdog.h>.
    static let setTimeoutRequest: UInt = 0xC004_5706
    static let getTimeoutRequest: UInt = 0x8004_5707
    /// Linux's magic close character: written just before close, it stops the watchdog.
    static let magicClose = UInt8(ascii: "V")

    /// The device path.
    public let path: String
    /// The timeout the device runs with, seconds: what the driver read back after setting it, or the
    /// requested one for a FIFO (which has no ioctl).
    public let timeoutSeconds: Int
    /// True for a character device (a real watchdog driver), false for a FIFO.
    public let isCharacterDevice: Bool
    private var descriptor: Int32

    /// Opens (arms) the device, sets its timeout and pets it once, so the countdown starts now on any
    /// device (a FIFO emulator arms on its first byte). A device that refuses the timeout is
    /// disarmed again before the error is thrown.
    public init(path: String, timeoutSeconds: Int) throws(WatchdogError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .open(path: path, errno: errno) }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFCHR || kind == S_IFIFO else { throw .notAWatchdog(path: path) }
        if kind == S_IFIFO { signal(SIGPIPE, SIG_IGN) }  // a reader that vanished: EPIPE, not death
        let fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .open(path: path, errno: errno) }
        self.path = path
        self.descriptor = fd
        self.isCharacterDevice = kind == S_IFCHR
        if kind == S_IFCHR {
            var requested = Int32(timeoutSeconds)
            var granted: Int32 = 0
            if ioctl(fd, Self.setTimeoutRequest, &requested) != 0 {
                let code = errno
                Self.magicClose(fd)
                throw .setTimeout(path: path, seconds: timeoutSeconds, errno: code)
            }
            if ioctl(fd, Self.getTimeoutRequest, &granted) != 0 {
                let code = errno
                Self.magicClose(fd)
                throw .getTimeout(path: path, errno: code)
            }
            self.timeoutSeconds = Int(granted)
        } else {
            self.timeoutSeconds = timeoutSeconds
        }
        do { try pet() } catch {
            Self.magicClose(fd)
            descriptor = -1
            throw error
        }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }  // no magic close: stays armed, as after a crash

    /// Whether the device is still open (not disarmed).
    public var isOpen: Bool { descriptor >= 0 }

    /// Writes one keepalive byte.
    public func pet() throws(WatchdogError) {
        guard descriptor >= 0 else { throw .closed(path: path) }
        var byte: UInt8 = 0
        guard write(descriptor, &byte, 1) == 1 else { throw .write(path: path, errno: errno) }
    }

    /// Magic close: writes 'V' and closes, so the watchdog stops. Throws if the write failed (the
    /// device is closed anyway; it may then stay armed).
    public func disarm() throws(WatchdogError) {
        guard descriptor >= 0 else { return }
        var byte = Self.magicClose
        let written = write(descriptor, &byte, 1)
        let code = errno
        close(descriptor)
        descriptor = -1
        if written != 1 { throw .write(path: path, errno: code) }
    }

    private static func magicClose(_ fd: Int32) {
        var byte = magicClose
        _ = write(fd, &byte, 1)
        close(fd)
    }
}

/// Why the host watchdog could not be armed, petted or disarmed; names the device and the errno.
public enum WatchdogError: Error, Sendable, Equatable, CustomStringConvertible {
    case open(path: String, errno: Int32)
    case notAWatchdog(path: String)
    case setTimeout(path: String, seconds: Int, errno: Int32)
    case getTimeout(path: String, errno: Int32)
    case write(path: String, errno: Int32)
    case closed(path: String)

    /// True when the device path does not exist (vigild then runs without a watchdog).
    public var isMissingDevice: Bool { if case .open(_, ENOENT) = self { true } else { false } }

    public var description: String {
        func reason(_ code: Int32) -> String { "\(String(cString: strerror(code))) (errno \(code))" }
        switch self {
        case let .open(path, code): return "cannot open watchdog \(path): \(reason(code))"
        case .notAWatchdog(let path): return "watchdog \(path) is neither a character device nor a FIFO"
        case let .setTimeout(path, seconds, code): return "watchdog \(path) refused a timeout of \(seconds) s: \(reason(code))"
        case let .getTimeout(path, code): return "cannot read the timeout of watchdog \(path): \(reason(code))"
        case let .write(path, code): return "cannot write to watchdog \(path): \(reason(code))"
        case .closed(let path): return "watchdog \(path) is already disarmed and closed"
        }
    }
}
