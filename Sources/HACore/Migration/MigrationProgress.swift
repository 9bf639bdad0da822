/// One sample of a live migration job as the source's hypervisor reports it (libvirt's job stats).
public struct MigrationProgress: Codable, Hashable, Sendable {
    /// Time since the job started, in milliseconds.
    public var elapsedMilliseconds: Int64
    /// Bytes to transfer in all (memory plus disk), transferred so far, and still to go.
    public var dataTotal: UInt64
    public var dataProcessed: UInt64
    public var dataRemaining: UInt64
    /// How fast the guest dirties its memory, bytes per second (nil until the hypervisor has measured it).
    public var dirtyRateBytesPerSecond: UInt64?
    /// Which pass over the guest's memory the copy is in (nil where the hypervisor does not say).
    public var iteration: UInt64?

    public init(elapsedMilliseconds: Int64, dataTotal: UInt64, dataProcessed: UInt64, dataRemaining: UInt64,
                dirtyRateBytesPerSecond: UInt64? = nil, iteration: UInt64? = nil) {
        self.elapsedMilliseconds = elapsedMilliseconds
        self.dataTotal = dataTotal
        self.dataProcessed = dataProcessed
        self.dataRemaining = dataRemaining
        self.dirtyRateBytesPerSecond = dirtyRateBytesPerSecond
        self.iteration = iteration
    }

    /// One line for operators, e.g. `41/130 MiB sent, 89 MiB to go, dirty 12 MiB/s, pass 3`.
    public var summary: String {
        var s = "\(Self.mebibytes(dataProcessed))/\(Self.mebibytes(dataTotal)) MiB sent, \(Self.mebibytes(dataRemaining)) MiB to go"
        if let rate = dirtyRateBytesPerSecond { s += ", dirty \(Self.mebibytes(rate)) MiB/s" }
        if let pass = iteration { s += ", pass \(pass)" }
        return s
    }

    static func mebibytes(_ bytes: UInt64) -> UInt64 { (bytes + (1 << 19)) >> 20 }
}
