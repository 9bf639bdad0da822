extension BackingChain {
    /// Resolves the on-disk chain of a file or block disk, opening the top image as its `<driver type>`.
    ///
    /// Returns nil for disks without a local path (network, volume, empty drives): their chain is not in local files.
    public static func resolve(disk: Disk) throws(BackingChainError) -> [ChainImage]? {
        guard let path = disk.source?.path else { return nil }
        let format = try disk.driver?.format.map { name throws(BackingChainError) in
            try ImageFormat.named(name, forImage: path)
        }
        return try resolve(path: path, format: format)
    }
}
