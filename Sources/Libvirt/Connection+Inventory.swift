internal import CLibvirt
import Foundation

/// What a host offers beyond its capabilities XML: its hypervisor's domain capabilities (the CPU
/// models it can run) and its virtual networks. The HA wizard checks VMs against these per host.
extension Connection {
    /// The domain capabilities XML for guests of `virtType` ("kvm" or "qemu"), `arch` and `machine`
    /// (nil: the hypervisor's defaults).
    public func domainCapabilities(virtType: String?, arch: String? = nil, machine: String? = nil) throws(LibvirtError) -> String {
        takeString(try perform("Connection.domainCapabilities") {
            virConnectGetDomainCapabilities($0, nil, arch, machine, virtType, 0)
        })
    }

    /// The names of the virtual networks this host runs (active ones only: a guest can attach to no other).
    public func activeNetworkNames() throws(LibvirtError) -> [String] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = try perform("Connection.activeNetworkNames") {
            virConnectListAllNetworks($0, &list, UInt32(VIR_CONNECT_LIST_NETWORKS_ACTIVE.rawValue))
        }
        defer { free(list) }
        return (0..<Int(count)).compactMap { i -> String? in
            guard let network = list?[i] else { return nil }
            defer { virNetworkFree(network) }
            return virNetworkGetName(network).map { String(cString: $0) }
        }
    }
}
