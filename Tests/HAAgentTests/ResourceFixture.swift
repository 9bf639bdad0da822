import ClusterSchema
import Foundation
import HACore
@testable import HAAgent

/// A temporary shared-storage directory with test-driver domain XML and disk files, plus a group
/// definition over them; removed when the test ends.
final class ResourceFixture {
    let root: String
    let storage: SharedStorage
    let hypervisor: LibvirtHypervisor
    let domain: String
    let uuid = UUID().uuidString.lowercased()

    init(hypervisorURI: String = "test:///default") throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-shared-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/vms", withIntermediateDirectories: true)
        storage = SharedStorage(root: root)
        hypervisor = try LibvirtHypervisor(uri: hypervisorURI)
        domain = "ha-\(UUID().uuidString.prefix(8).lowercased())"
    }

    deinit {
        try? hypervisor.destroy(domain)
        try? hypervisor.undefine(domain)
        try? FileManager.default.removeItem(atPath: root)
    }

    var xmlPath: String { "\(storage.root)/vms/\(domain).xml" }

    /// Writes a disk file and the domain XML (test driver) using it; returns the XML path.
    @discardableResult
    func writeDomain(diskPath: String? = nil, name: String? = nil, extraDisk: String = "") throws -> String {
        let disk = diskPath ?? "\(storage.root)/vms/\(domain).img"
        if diskPath == nil { _ = FileManager.default.createFile(atPath: disk, contents: Data(count: 4096)) }
        let xml = """
        <domain type='test'>
          <name>\(name ?? domain)</name>
          <uuid>\(uuid)</uuid>
          <memory unit='MiB'>64</memory>
          <vcpu>1</vcpu>
          <os><type>hvm</type></os>
          <devices>
            <disk type='file' device='disk'>
              <driver name='qemu' type='raw'/>
              <source file='\(disk)'/>
              <target dev='vda' bus='virtio'/>
            </disk>\(extraDisk)
          </devices>
        </domain>
        """
        try xml.write(toFile: xmlPath, atomically: true, encoding: .utf8)
        return xmlPath
    }

    /// A group: configuration → VM (and optionally exclusive storage → configuration).
    func group(storage storageID: ResourceID? = nil) throws -> GroupDefinition {
        let config = Resource(id: ResourceID("\(domain)-config"), kind: .vmConfiguration(domainXMLPath: xmlPath))
        let vm = Resource.vm(domain, memoryMiB: 64, vcpus: 1)
        var resources = [config, vm]
        var dependencies: [ResourceID: Set<ResourceID>] = [vm.id: [config.id]]
        if let storageID {
            resources.append(Resource(id: storageID, kind: .storage(.exclusive)))
            dependencies[config.id] = [storageID]
        }
        return try GroupDefinition(id: GroupID("g-\(domain)"), resources: resources, dependencies: dependencies)
    }

    func runner(bindings: StorageBindings = [:], backingFiles: @escaping BackingFiles = BackingFilesOnDisk.read) -> GroupRunner {
        GroupRunner(hypervisor: hypervisor, storage: storage, storageBindings: bindings, backingFiles: backingFiles)
    }
}
