extension MoveView {
    /// One VM's part of the move as a progress bar line for a terminal, e.g.
    /// `vm1 live h1->h2 migrating [##########..........]  50%  512/1024 MiB`; without a byte count
    /// (a quick or cold move, or no sample yet) the bar is empty and the line says so.
    public func progressBar(_ vm: VM, width: Int = 20) -> String {
        let head = "\(vm.name) \(method) \(from)->\(to) \(phase)"
        guard let done = vm.dataProcessed, let total = vm.dataTotal, total > 0 else {
            return head + " [" + String(repeating: ".", count: width) + "]" + (vm.image.map { "  image \($0)" } ?? "  no progress sample yet")
        }
        let fraction = min(1, Double(done) / Double(total))
        let filled = Int((fraction * Double(width)).rounded(.down))
        let percent = Int((fraction * 100).rounded(.down))
        let pad = String(repeating: " ", count: max(0, 3 - String(percent).count))
        return head + " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            + pad + "\(percent)%  \(Self.mebibytes(done))/\(Self.mebibytes(total)) MiB"
    }

    static func mebibytes(_ bytes: UInt64) -> UInt64 { (bytes + (1 << 19)) >> 20 }
}
