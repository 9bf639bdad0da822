import Foundation

/// One heartbeat line of a guest, as recorded by the lab's collector.
public struct Heartbeat: Sendable, Equatable {
    /// When the collector received it (Unix time, seconds).
    public let time: Double
    /// The guest's boot counter (persisted on its disk with a flush); unchanged across migrations.
    public let boot: Int
    /// Sequence number within the boot, one every 100 ms.
    public let sequence: Int
}

/// The longest silence between two consecutive heartbeats.
public struct HeartbeatGap: Sendable, Equatable {
    public let before: Heartbeat
    public let after: Heartbeat
    public var seconds: Double { after.time - before.time }
}

extension Lab {
    /// Path of the guest's heartbeat log on shared storage.
    public func heartbeatLogPath(of guest: String) -> String { sharedStorage + "/heartbeat/\(guest).hb" }

    /// All heartbeats of the guest so far, in arrival order.
    public func heartbeats(of guest: String) -> [Heartbeat] {
        guard let text = try? String(contentsOfFile: heartbeatLogPath(of: guest), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 3, let time = Double(f[0]), let boot = Int(f[1]), let seq = Int(f[2]) else { return nil }
            return Heartbeat(time: time, boot: boot, sequence: seq)
        }
    }

    /// The guest's last heartbeat, if any.
    public func lastHeartbeat(of guest: String) -> Heartbeat? { heartbeats(of: guest).last }

    /// Waits until the guest sends a heartbeat received after `time` (Unix seconds); returns it.
    public func waitForHeartbeat(of guest: String, after time: Double, timeout: Double = 90) async throws -> Heartbeat {
        let deadline = Date().timeIntervalSince1970 + timeout
        while Date().timeIntervalSince1970 < deadline {
            if let beat = heartbeats(of: guest).last(where: { $0.time > time }) { return beat }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw LabError.noHeartbeat(guest: guest, seconds: timeout)
    }

    /// The largest gap between consecutive heartbeats whose later beat arrived in `from...to`.
    public func largestGap(of guest: String, from: Double, to: Double) -> HeartbeatGap? {
        let beats = heartbeats(of: guest)
        return zip(beats, beats.dropFirst())
            .filter { $0.1.time >= from && $0.1.time <= to }
            .map { HeartbeatGap(before: $0.0, after: $0.1) }
            .max { $0.seconds < $1.seconds }
    }
}

/// Now as Unix time in seconds, the clock the heartbeat collector stamps with.
public func labNow() -> Double { Date().timeIntervalSince1970 }
