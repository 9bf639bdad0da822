internal import CLibvirt

extension Connection {
    /// Every domain matching `flags` (all domains when empty).
    public func listDomains(_ flags: ListDomainsFlags = []) throws(LibvirtError) -> [Domain] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = try perform("Connection.listDomains") { virConnectListAllDomains($0, &list, flags.rawValue) }
        defer { free(list) }
        return (0..<Int(count)).compactMap { i in list?[i].map { Domain(handle: $0, connection: self) } }
    }

    /// The domain called `name`; `.noDomain` when there is none.
    public func lookup(name: String) throws(LibvirtError) -> Domain {
        Domain(handle: try perform("Connection.lookup(name: \(name))") { virDomainLookupByName($0, name) }, connection: self)
    }

    /// The domain with this UUID string; `.noDomain` when there is none.
    public func lookup(uuid: String) throws(LibvirtError) -> Domain {
        Domain(handle: try perform("Connection.lookup(uuid: \(uuid))") { virDomainLookupByUUIDString($0, uuid) }, connection: self)
    }

    /// The domain called `name`, or nil when this host has none (other errors still throw).
    public func domainIfExists(name: String) throws(LibvirtError) -> Domain? {
        do { return try lookup(name: name) } catch where error.code == .noDomain { return nil }
    }

    /// Defines (or redefines) a persistent domain from XML.
    public func define(xml: String, flags: DefineFlags = []) throws(LibvirtError) -> Domain {
        Domain(handle: try perform("Connection.define") { virDomainDefineXMLFlags($0, xml, flags.rawValue) }, connection: self)
    }

    /// Restores a domain saved with `Domain.save(to:)`; `xml` optionally replaces its definition
    /// (same ABI, e.g. other disk paths). Returns the restored domain.
    @discardableResult
    public func restore(from path: String, xml: String? = nil, flags: SaveRestoreFlags = []) throws(LibvirtError) -> Domain {
        let name = try savedDomainName(path: path, xml: xml)
        try perform("Connection.restore(\(path))") { virDomainRestoreFlags($0, path, xml, flags.rawValue) }
        return try lookup(name: name)
    }

    /// The XML definition stored in a save image.
    public func saveImageXML(path: String, flags: XMLFlags = []) throws(LibvirtError) -> String {
        takeString(try perform("Connection.saveImageXML(\(path))") { virDomainSaveImageGetXMLDesc($0, path, flags.rawValue) })
    }

    private func savedDomainName(path: String, xml: String?) throws(LibvirtError) -> String {
        let definition: String
        if let xml { definition = xml } else { definition = try saveImageXML(path: path) }
        guard let start = definition.range(of: "<name>"), let end = definition.range(of: "</name>", range: start.upperBound..<definition.endIndex) else {
            throw LibvirtError(code: .xmlError, source: .wrapper, message: "save image \(path) has no <name> in its XML", call: "Connection.restore")
        }
        return String(definition[start.upperBound..<end.lowerBound])
    }
}
