internal import CLibvirt

/// A host's hardware as libvirt reports it (`virNodeInfo`).
public struct NodeInfo: Sendable, Equatable {
    /// CPU model, e.g. "x86_64".
    public let model: String
    /// Physical memory in KiB.
    public let memoryKiB: UInt64
    /// Active CPUs.
    public let cpus: Int
    /// Expected CPU frequency in MHz (0 when unknown).
    public let mhz: Int
    public let nodes: Int
    public let sockets: Int
    public let cores: Int
    public let threads: Int

    init(_ info: virNodeInfo) {
        var copy = info
        model = withUnsafeBytes(of: &copy.model) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        memoryKiB = UInt64(info.memory)
        cpus = Int(info.cpus)
        mhz = Int(info.mhz)
        nodes = Int(info.nodes)
        sockets = Int(info.sockets)
        cores = Int(info.cores)
        threads = Int(info.threads)
    }
}

/// How a CPU description compares to the host's CPU (`virCPUCompareResult`).
public enum CPUComparison: Sendable, Equatable {
    /// The host cannot run a guest with this CPU.
    case incompatible
    /// The host CPU is exactly this CPU.
    case identical
    /// The host CPU is a superset: the guest can run here.
    case superset
}

/// A libvirt version number such as 9.0.0 (encoded by libvirt as major * 1,000,000 + minor * 1,000 + release).
public struct LibvirtVersion: Sendable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int
    public let release: Int

    public init(encoded: UInt) {
        major = Int(encoded / 1_000_000)
        minor = Int(encoded / 1_000 % 1_000)
        release = Int(encoded % 1_000)
    }

    public var description: String { "\(major).\(minor).\(release)" }
    public static func < (a: Self, b: Self) -> Bool { (a.major, a.minor, a.release) < (b.major, b.minor, b.release) }
}
