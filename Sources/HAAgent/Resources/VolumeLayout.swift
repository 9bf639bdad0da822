import ClusterSchema
import DomainXML
import HACore

/// The cluster's storage volumes as the HA wizard sees them: which volume holds each of a VM's files,
/// and which volumes are nested in one another. A VM's group gets every volume its disks lie on, and
/// volumes nested in one another go together (one cannot be mounted where the other is not). Pure.
struct VolumeLayout {
    /// One storage volume: its resource name, how hosts bind it, and the group that has it (nil: new,
    /// named by the request).
    struct Volume: Equatable {
        let name: String
        let binding: StorageResource
        let group: GroupID?

        var sharing: StorageSharing {
            if case .exclusive = binding { .exclusive } else { .shared }
        }
    }

    /// Every volume: the groups' own, and those the request names (which win over a group's of the same name).
    let volumes: [Volume]

    init(groups: [GroupSpec], requested: [(name: String, binding: StorageResource)]) {
        let named = Set(requested.map(\.name))
        let existing = groups.sorted { $0.definition.id < $1.definition.id }.flatMap { spec in
            spec.storage.keys.sorted().filter { !named.contains($0) }.map { Volume(name: $0, binding: spec.storage[$0]!, group: spec.definition.id) }
        }
        var seen = Set<String>()
        volumes = (requested.map { Volume(name: $0.name, binding: $0.binding, group: nil) } + existing).filter { seen.insert($0.name).inserted }
    }

    /// The directories disks may lie under besides shared storage.
    var directories: [String] { volumes.map(\.binding.directory) }

    /// The deepest volume whose directory holds `file`.
    func volume(holding file: String) -> Volume? {
        volumes.filter { SharedStorage.path(file, liesUnder: $0.binding.directory) }
            .max { SharedStorage.resolved($0.binding.directory).count < SharedStorage.resolved($1.binding.directory).count }
    }

    /// The volumes a VM needs: those named in `asked`, those holding any of `files`, and then every
    /// exclusive volume nested in one of those or holding one of them, until nothing is added. Each
    /// comes with why it is needed (for the wizard's report).
    func needed(asked: Set<String>, files: [String]) -> [(volume: Volume, reason: String)] {
        var chosen: [(volume: Volume, reason: String)] = volumes.filter { asked.contains($0.name) }.map { ($0, "asked for") }
        for file in files {
            guard let v = volume(holding: file), !chosen.contains(where: { $0.volume.name == v.name }) else { continue }
            chosen.append((v, "holds \(file)"))
        }
        var index = 0
        while index < chosen.count {
            let v = chosen[index].volume
            for other in volumes where !chosen.contains(where: { $0.volume.name == other.name }) && nested(v, other) {
                chosen.append((other, "its mount point \(other.binding.directory) and \(v.name)'s \(v.binding.directory) are nested"))
            }
            index += 1
        }
        return chosen
    }

    /// Whether one of the two lies inside the other and at least one is exclusive (a shared volume
    /// inside a shared volume binds nothing: both are everywhere).
    private func nested(_ a: Volume, _ b: Volume) -> Bool {
        guard a.sharing == .exclusive || b.sharing == .exclusive else { return false }
        return SharedStorage.path(a.binding.directory, liesUnder: b.binding.directory)
            || SharedStorage.path(b.binding.directory, liesUnder: a.binding.directory)
    }

    /// The host paths a domain's disks and filesystems use (image files, directories, block devices).
    static func files(of domain: DomainDefinition) -> [String] {
        domain.disks.compactMap { disk -> String? in
            switch disk.source {
            case let .file(path)?, let .block(path)?, let .directory(path)?: path
            default: nil
            }
        } + domain.filesystems.compactMap(\.sourcePath)
    }
}

extension GroupSpec {
    /// The directories of the group's storage volumes, where its VMs' disks may lie.
    var volumeDirectories: [String] { storage.keys.sorted().map { storage[$0]!.directory } }

    /// The block devices of the group's exclusive volumes, which every possible owner must see.
    var exclusiveDevices: [String] {
        storage.values.compactMap { if case .exclusive(let device, _) = $0, device.hasPrefix("/dev/") { device } else { nil } }.sorted()
    }
}
