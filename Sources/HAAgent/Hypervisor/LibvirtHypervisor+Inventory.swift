import Libvirt

extension LibvirtHypervisor {
    public func domainCapabilities(virtType: String) throws -> String {
        try withConnection { try $0.domainCapabilities(virtType: virtType) }
    }

    public func activeNetworks() throws -> [String] { try withConnection { try $0.activeNetworkNames() } }
}
