/// The `<os>` element: guest type, machine and, for direct kernel boot, kernel/initrd/cmdline.
public struct OperatingSystemBoot: Sendable, Codable, Hashable {
    /// `<type>` text, usually "hvm".
    public var type: String?
    public var arch: String?
    public var machine: String?
    public var kernel: String?
    public var initrd: String?
    public var cmdline: String?
    /// `<boot dev=...>` entries in order ("hd", "cdrom", "network", "fd").
    public var bootDevices: [String]

    public init(type: String? = nil, arch: String? = nil, machine: String? = nil, kernel: String? = nil,
                initrd: String? = nil, cmdline: String? = nil, bootDevices: [String] = []) {
        self.type = type
        self.arch = arch
        self.machine = machine
        self.kernel = kernel
        self.initrd = initrd
        self.cmdline = cmdline
        self.bootDevices = bootDevices
    }

    /// True when the guest boots a kernel image directly instead of through firmware.
    public var isDirectKernelBoot: Bool { kernel != nil }
}
