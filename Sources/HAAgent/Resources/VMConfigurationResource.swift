import DomainXML
import Foundation

/// A VM configuration that came online: its XML as read from shared storage, and what it defines.
public struct VMConfiguration: Sendable, Equatable {
    /// The domain XML file on shared storage.
    public let path: String
    public let xml: String
    public let definition: DomainDefinition
}

/// The VM-configuration resource: a domain's XML file on shared storage. Online means the file was
/// read and parsed, and every disk and backing file it needs is reachable from this host.
public struct VMConfigurationResource: Sendable {
    /// The domain XML file on shared storage.
    public let path: String
    /// The domain the file must define (nil: whichever it defines).
    public let domainName: String?
    public let storage: SharedStorage
    /// The directories of the group's own storage volumes (exclusive mount points, shared volumes): disks
    /// may lie there as well as on shared storage. The domain XML itself always lies on shared storage.
    public let volumes: [String]
    /// The files beneath a disk's image (its qcow2 backing chain, top excluded), or a thrown reason.
    public let backingFiles: BackingFiles

    public init(path: String, domainName: String?, storage: SharedStorage, volumes: [String] = [],
                backingFiles: @escaping BackingFiles = BackingFilesOnDisk.read) {
        self.path = path
        self.domainName = domainName
        self.storage = storage
        self.volumes = volumes
        self.backingFiles = backingFiles
    }

    /// Reads, parses and checks the configuration; throws every problem found.
    public func online() throws(ConfigurationError) -> VMConfiguration {
        guard storage.contains(path) else { throw failure(.outsideSharedStorage(path: path, role: "domain XML")) }
        let xml = try readBounded()
        let definition: DomainDefinition
        do { definition = try DomainDefinition(xml: xml) } catch { throw failure(.malformed(path: path, reason: error.description)) }
        var problems: [ConfigurationProblem] = []
        if let domainName, definition.name != domainName { problems.append(.nameMismatch(expected: domainName, found: definition.name)) }
        if definition.uuid == nil { problems.append(.missingUUID(domain: definition.name)) }
        problems += definition.disks.flatMap { diskProblems(of: $0, in: definition.name) }
        problems += definition.filesystems.compactMap(filesystemProblem)
        guard problems.isEmpty else { throw ConfigurationError(path: path, problems: problems) }
        return VMConfiguration(path: path, xml: xml, definition: definition)
    }

    /// Writes an updated definition back to shared storage atomically (write, flush, rename).
    public func writeBack(xml: String) throws {
        _ = try DomainDefinition(xml: xml)  // never replace a good file with one that does not parse
        try AtomicFile.write(xml, to: path)
    }

    /// The file's text, read no further than DomainXML's maximum document size (so a huge file, or a
    /// device that never ends, costs at most that much memory).
    private func readBounded() throws(ConfigurationError) -> String {
        let limit = DomainXMLLimits.maximumDocumentBytes
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw failure(.unreadable(path: path, reason: (error as NSError).localizedDescription))
        }
        guard data.count <= limit else {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            throw failure(.malformed(path: path, reason: DomainXMLError.tooLarge(bytes: size ?? data.count, limit: limit).description))
        }
        guard let xml = String(data: data, encoding: .utf8) else {
            throw failure(.unreadable(path: path, reason: "the file is not UTF-8 text"))
        }
        return xml
    }

    private func failure(_ problem: ConfigurationProblem) -> ConfigurationError {
        ConfigurationError(path: path, problems: [problem])
    }

    /// A `<filesystem>` the guest mounts from the host must come from shared storage, like a disk.
    private func filesystemProblem(_ filesystem: SharedFilesystem) -> ConfigurationProblem? {
        guard let source = filesystem.sourcePath, !reachable(source) else { return nil }
        return outside(source, role: "filesystem \(filesystem.target ?? filesystem.type)")
    }

    /// Whether every possible owner reaches `file`: on shared storage, or on one of the group's volumes.
    private func reachable(_ file: String) -> Bool {
        storage.contains(file) || volumes.contains { SharedStorage.path(file, liesUnder: $0) }
    }

    private func outside(_ file: String, role: String) -> ConfigurationProblem {
        volumes.isEmpty ? .outsideSharedStorage(path: file, role: role)
            : .outsideGroupStorage(path: file, role: role, shared: storage.root, volumes: volumes.sorted())
    }

    /// The wizard's verdict on one disk: its requirement (from the XML), checked on this host.
    private func diskProblems(of disk: Disk, in domain: String) -> [ConfigurationProblem] {
        let target = disk.target.dev
        switch DiskRequirement(disk) {
        case .nothing:
            return []
        case .service:
            // Reached by every host alike; only backing images the XML names as local paths must be shared.
            return disk.backingChain.compactMap(\.source?.path).compactMap { file in
                reachable(file) ? nil : outside(file, role: "backing file of disk \(target)")
            }
        case .missingSource:
            return [.diskWithoutSource(target: target)]
        case let .hostLocal(storage):
            return [.hostLocalDisk(domain: domain, target: target, storage: storage)]
        case let .sharedPath(source):
            guard reachable(source) else { return [outside(source, role: "disk \(target)")] }
            guard FileManager.default.fileExists(atPath: source) else { return [.diskMissing(target: target, path: source)] }
            do {
                return try backingFiles(disk).compactMap { file in
                    reachable(file) ? nil : outside(file, role: "backing file of disk \(target)")
                }
            } catch {
                return [.backingFileMissing(target: target, path: source, reason: "\(error)")]
            }
        case let .sharedBlockDevice(source):
            var problems: [ConfigurationProblem] = []
            if !BlockDevicePath.isStable(source) { problems.append(.unstableDevicePath(target: target, path: source)) }
            if !BlockDevicePath.isBlockDevice(source) { problems.append(.notABlockDevice(target: target, path: source)) }
            return problems
        }
    }
}

/// Rules for block device paths that every host resolves to the same device.
enum BlockDevicePath {
    static let stablePrefixes = ["/dev/disk/by-id/", "/dev/disk/by-path/", "/dev/disk/by-uuid/", "/dev/disk/by-partuuid/",
                                 "/dev/mapper/", "/dev/disk/by-label/"]

    static func isStable(_ path: String) -> Bool { stablePrefixes.contains { path.hasPrefix($0) } }

    static func isBlockDevice(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFBLK
    }
}

/// Lists the files beneath a disk's image (top excluded); throws when the chain is broken.
public typealias BackingFiles = @Sendable (Disk) throws -> [String]

/// Backing files as the images' own qcow2 headers name them.
public enum BackingFilesOnDisk {
    public static let read: BackingFiles = { disk in
        try BackingChain.resolve(disk: disk)?.dropFirst().map(\.path) ?? []
    }
}
