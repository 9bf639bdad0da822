import Libvirt

extension LibvirtHypervisor {
    public func domainCapabilities(virtType: String) throws -> String {
        try connection.domainCapabilities(virtType: virtType)
    }

    public func activeNetworks() throws -> [String] { try connection.activeNetworkNames() }
}
