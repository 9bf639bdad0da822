import Foundation
import HACoordination
import Testing
@testable import HAAgent

/// `HostWatchdog` against FIFOs (as the lab's emulator reads them) and devices that are no watchdog.
/// Never a real watchdog: opening one would arm it on this machine.
@Suite(.serialized) struct HostWatchdogTests {
    /// A FIFO in a fresh temporary directory, and its directory (removed by the caller).
    private func fifo() throws -> (path: String, directory: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-wd-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/watchdog"
        guard mkfifo(path, 0o600) == 0 else { throw WatchdogError.open(path: path, errno: errno) }
        return (path, directory)
    }

    private func openReader(_ path: String) -> Int32 { open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }

    /// Everything readable now, and whether the writer side has closed (EOF).
    private func drain(_ fd: Int32) -> (bytes: [UInt8], closed: Bool) {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n > 0 { bytes += buffer[0..<n]; continue }
            return (bytes, n == 0)
        }
    }

    @Test func opensPetsAndDisarmsWithTheMagicCloseCharacterLast() throws {
        let (path, directory) = try fifo()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let reader = openReader(path)
        #expect(reader >= 0)
        defer { close(reader) }
        let watchdog = try HostWatchdog(path: path, timeoutSeconds: 7)
        #expect(watchdog.timeoutSeconds == 7)
        #expect(!watchdog.isCharacterDevice)
        #expect(drain(reader).bytes == [0], "opening pets once, so the countdown starts at once")
        try watchdog.pet()
        try watchdog.pet()
        #expect(drain(reader).bytes == [0, 0])
        try watchdog.disarm()
        let last = drain(reader)
        #expect(last.bytes == [UInt8(ascii: "V")])
        #expect(last.closed, "disarm closes the device")
        #expect(!watchdog.isOpen)
        #expect(throws: WatchdogError.closed(path: path)) { try watchdog.pet() }
        try watchdog.disarm()  // a second disarm is harmless
    }

    @Test func closingWithoutDisarmLeavesNoMagicCharacter() throws {
        let (path, directory) = try fifo()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let reader = openReader(path)
        defer { close(reader) }
        do {
            let watchdog = try HostWatchdog(path: path, timeoutSeconds: 5)
            try watchdog.pet()
        }
        let seen = drain(reader)
        #expect(seen.bytes == [0, 0])
        #expect(seen.closed, "deinit closes the descriptor")
    }

    @Test func aFIFOWithoutAReaderIsRefusedWithItsPathAndErrno() throws {
        let (path, directory) = try fifo()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let error = #expect(throws: WatchdogError.self) { try HostWatchdog(path: path, timeoutSeconds: 5) }
        #expect(error == .open(path: path, errno: ENXIO))
        print("[watchdog] no reader: \(error.map { "\($0)" } ?? "-")")
        #expect(error.map { "\($0)" }?.contains(path) == true)
        #expect(error?.isMissingDevice == false)
    }

    @Test func aVanishedReaderMakesPetThrowEPIPEInsteadOfKillingTheAgent() throws {
        let (path, directory) = try fifo()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let reader = openReader(path)
        let watchdog = try HostWatchdog(path: path, timeoutSeconds: 5)
        close(reader)
        #expect(throws: WatchdogError.write(path: path, errno: EPIPE)) { try watchdog.pet() }
        #expect(throws: WatchdogError.write(path: path, errno: EPIPE)) { try watchdog.disarm() }
        #expect(!watchdog.isOpen)
    }

    @Test func aStalledReaderMakesPetThrowEAGAINInsteadOfBlocking() throws {
        let (path, directory) = try fifo()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let reader = openReader(path)
        defer { close(reader) }
        let watchdog = try HostWatchdog(path: path, timeoutSeconds: 5)
        var pets = 1
        var failure: WatchdogError?
        while failure == nil, pets < 1_000_000 {
            do { try watchdog.pet(); pets += 1 } catch { failure = error }
        }
        print("[watchdog] the FIFO was full after \(pets) pets")
        #expect(failure == .write(path: path, errno: EAGAIN))
    }

    @Test func aCharacterDeviceThatIsNoWatchdogIsRefusedNamingTheIoctl() {
        let error = #expect(throws: WatchdogError.self) { try HostWatchdog(path: "/dev/null", timeoutSeconds: 10) }
        #expect(error == .setTimeout(path: "/dev/null", seconds: 10, errno: ENOTTY))
        print("[watchdog] /dev/null: \(error.map { "\($0)" } ?? "-")")
        #expect(error.map { "\($0)" }?.contains("errno \(ENOTTY)") == true)
    }

    @Test func aRegularFileOrAMissingPathIsRefused() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-wd-\(UUID().uuidString.prefix(8))").path
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(throws: WatchdogError.notAWatchdog(path: file)) { try HostWatchdog(path: file, timeoutSeconds: 10) }
        let missing = #expect(throws: WatchdogError.self) { try HostWatchdog(path: file + "-missing", timeoutSeconds: 10) }
        #expect(missing?.isMissingDevice == true)
    }
    @Test func theShellPetsWhileFreshDisarmsOnAGracefulStopAndAbandonLeavesItArmed() async throws {
        let (path, directory) = try fifo()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let reader = openReader(path)
        defer { close(reader) }
        let origin = ContinuousClock.now
        let clock: @Sendable () async -> Duration = { ContinuousClock.now - origin }
        let lease: @Sendable () async -> LeaseDeadline.State = { .held(lastConfirmedSend: ContinuousClock.now - origin, ttl: .seconds(5)) }
        let shell = try await WatchdogShell(path: path, timeoutSeconds: 5, petInterval: .milliseconds(20),
                                            clock: clock, lease: lease, logger: .init(label: "watchdog-test"))
        #expect(await shell.armedTimeout == .seconds(5))
        var bytes: [UInt8] = []
        for _ in 0..<500 where bytes.count < 4 {
            await shell.healthTick()
            bytes += drain(reader).bytes
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(bytes.count >= 4 && !bytes.contains(UInt8(ascii: "V")), "the shell pets while lease and health are fresh: \(bytes)")
        await shell.disarm()
        let last = drain(reader)
        #expect(last.bytes.last == UInt8(ascii: "V") && last.closed, "a graceful stop ends with the magic close")
        #expect(await shell.armedTimeout == nil)
        #expect(await shell.failedPets == 0)

        let second = openReader(path)
        defer { close(second) }
        var abandoned: WatchdogShell? = try await WatchdogShell(path: path, timeoutSeconds: 5, petInterval: .milliseconds(20),
                                                                clock: clock, lease: lease, logger: .init(label: "watchdog-test"))
        await abandoned?.abandon()
        #expect(await abandoned?.armedTimeout == nil)
        abandoned = nil
        var seen: (bytes: [UInt8], closed: Bool) = ([], false)
        for _ in 0..<500 where !seen.closed {
            let more = drain(second)
            seen = (seen.bytes + more.bytes, more.closed)
            if !seen.closed { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(seen.closed, "the released shell closes the device")
        #expect(!seen.bytes.contains(UInt8(ascii: "V")), "abandon must not disarm: \(seen.bytes)")
    }
}
