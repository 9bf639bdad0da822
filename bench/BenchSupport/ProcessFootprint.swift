import Foundation

/// A process's resident memory and CPU time so far, as /proc/PID/status and /proc/PID/stat give them.
public struct ProcessFootprint: Sendable, Equatable {
    /// Resident memory now (VmRSS), KiB.
    public var residentKiB: Int
    /// The most ever resident (VmHWM), KiB.
    public var peakResidentKiB: Int
    /// Of the resident memory now, the anonymous part (RssAnon: heap, stacks) and the part mapped
    /// from files (RssFile: the binary and shared libraries, which other processes may share), KiB.
    public var anonymousKiB: Int
    public var fileKiB: Int
    /// User plus system CPU time (utime + stime), clock ticks.
    public var cpuTicks: Int

    public init(residentKiB: Int, peakResidentKiB: Int, anonymousKiB: Int = 0, fileKiB: Int = 0, cpuTicks: Int) {
        self.residentKiB = residentKiB
        self.peakResidentKiB = peakResidentKiB
        self.anonymousKiB = anonymousKiB
        self.fileKiB = fileKiB
        self.cpuTicks = cpuTicks
    }

    /// Reads the footprint of process `pid` now.
    public static func read(pid: Int32) throws -> ProcessFootprint {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        return try parse(status: status, stat: stat)
    }

    /// The footprint in the two files' text.
    public static func parse(status: String, stat: String) throws(ProcFileError) -> ProcessFootprint {
        func kib(_ key: String) throws(ProcFileError) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { throw .missing(key, file: "status") }
            let fields = line.dropFirst(key.count + 1).split { $0 == " " || $0 == "\t" }
            guard fields.count == 2, fields[1] == "kB", let value = Int(fields[0]) else { throw .malformed(key, file: "status", line: String(line)) }
            return value
        }
        // The command name (field 2) is in parentheses and may hold spaces or parentheses itself:
        // fields are counted after the last ")". utime and stime are fields 14 and 15.
        guard let close = stat.lastIndex(of: ")") else { throw .malformed("comm", file: "stat", line: stat) }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let utime = Int(fields[11]), let stime = Int(fields[12]) else {
            throw .malformed("utime/stime", file: "stat", line: stat)
        }
        return ProcessFootprint(residentKiB: try kib("VmRSS"), peakResidentKiB: try kib("VmHWM"), anonymousKiB: try kib("RssAnon"),
                                fileKiB: try kib("RssFile"), cpuTicks: utime + stime)
    }

    /// Clock ticks per second (USER_HZ), the unit of `cpuTicks`.
    public static var ticksPerSecond: Double { Double(sysconf(Int32(_SC_CLK_TCK))) }

    /// The share of one core used between two readings `seconds` apart, in percent.
    public static func cpuPercent(from start: ProcessFootprint, to end: ProcessFootprint, seconds: Double,
                                  ticksPerSecond: Double = ProcessFootprint.ticksPerSecond) -> Double {
        Double(end.cpuTicks - start.cpuTicks) / ticksPerSecond / seconds * 100
    }
}

/// A /proc file without a value it should have.
public enum ProcFileError: Error, Equatable, CustomStringConvertible {
    case missing(String, file: String)
    case malformed(String, file: String, line: String)

    public var description: String {
        switch self {
        case let .missing(key, file): "/proc/PID/\(file) has no \(key) (a kernel thread, or not Linux)"
        case let .malformed(key, file, line): "/proc/PID/\(file): cannot read \(key) from \(line.prefix(200))"
        }
    }
}
