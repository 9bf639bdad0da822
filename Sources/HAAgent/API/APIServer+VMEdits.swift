import AgentAPI
import ClusterSchema
import DomainXML
import Foundation
import HACoordination
import HACore

extension APIServer {
    /// A VM's configuration resource as stored: the domain XML on shared storage.
    func vmConfiguration(_ name: String) async throws -> VMConfigurationView {
        let held = try await groupHolding(vm: name)
        let xml: String
        do { xml = try String(contentsOfFile: held.path, encoding: .utf8) } catch {
            throw APIError("cannot read the domain XML of VM \(name) at \(held.path): \((error as NSError).localizedDescription)")
        }
        return VMConfigurationView(vm: name, group: held.group.rawValue, path: held.path, xml: xml)
    }

    /// Replaces a VM's domain XML on shared storage, as Failover Cluster Manager lets an operator
    /// change an offline VM's configuration. The new XML goes through the HA wizard first (this host
    /// and every possible owner); the previous file is kept as `PATH.prev`; the file is replaced
    /// atomically; the group's demand follows the new memory and vCPUs. A running VM keeps its
    /// definition until its next start.
    func editVM(_ name: String, _ request: EditVMRequest) async throws -> Accepted {
        let held = try await groupHolding(vm: name)
        let shared = SharedStorage(root: configuration.sharedStorage)
        let candidate = "\(held.path).edit-\(UUID().uuidString.prefix(8))"
        do { try AtomicFile.write(request.xml, to: candidate) } catch {
            throw APIError("cannot write the edited XML of VM \(name) next to \(held.path): \(error)")
        }
        defer { unlink(candidate) }
        let edited: VMConfiguration
        do {
            edited = try VMConfigurationResource(path: candidate, domainName: name, storage: shared, volumes: held.spec.volumeDirectories).online()
        } catch {
            throw APIError("the edited XML of VM \(name) is refused, \(held.path) is unchanged: \(error)")
        }
        if let old = try? DomainDefinition(xml: String(contentsOfFile: held.path, encoding: .utf8)).uuid, old != edited.definition.uuid {
            throw APIError("the edited XML of VM \(name) changes its UUID from \(old) to \(edited.definition.uuid.map { "\($0)" } ?? "none"); keep the UUID")
        }
        if case .virtualMachine(_, _, _, let methods)? = held.spec.definition.vmResource(runningDomain: name)?.kind,
           methods.contains(where: { $0 != .cold }) {
            let pinned = OwnerEnvironmentCheck.unmigratableDevices(of: edited.definition)
            if !pinned.isEmpty {
                throw APIError("the edited XML of VM \(name) is refused, \(held.path) is unchanged: it passes through "
                               + "\(pinned.map(\.description).joined(separator: ", ")), which QEMU can neither live-migrate nor save, but "
                               + "the VM may move by \(methods.map(\.rawValue).joined(separator: ", ")); remove the device, or make the VM "
                               + "highly available again with --move-methods cold (vigil vm remove, then vigil vm add)")
            }
        }
        let warnings = try await checkPossibleOwners(of: [edited.definition], policy: held.spec.definition.policy, storage: shared,
                                                     devices: held.spec.exclusiveDevices).warnings
        let memoryMiB = Int(edited.definition.memoryKiB / 1024)
        var spec = held.spec
        spec.definition = try spec.definition.updatingDemand(of: name, memoryMiB: memoryMiB, vcpus: edited.definition.vcpus)
        do {
            if FileManager.default.fileExists(atPath: held.path) {
                try AtomicFile.write(try String(contentsOfFile: held.path, encoding: .utf8), to: held.path + ".prev")
            }
            guard rename(candidate, held.path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            throw APIError("cannot replace \(held.path) with the edited XML of VM \(name): \(error)")
        }
        let record = ConfigurationDrift.record(of: edited.xml, at: held.path, by: "vm edit")
        guard try await replace(held, with: spec, also: [.put(ClusterKeys.configuration(of: name), try StoreCoding.encode(record))]) else {
            throw APIError("VM \(name): \(held.path) now holds the edited XML (the previous one is \(held.path).prev), but group "
                           + "\(held.group) changed meanwhile and its demand was not updated; run the edit again")
        }
        logger.notice("VM configuration edited", metadata: ["vm.name": "\(name)", "path": "\(held.path)", "memoryMiB": "\(memoryMiB)"])
        return Accepted("VM \(name): \(held.path) replaced (previous: \(held.path).prev); demand \(memoryMiB) MiB, "
                        + "\(edited.definition.vcpus) vCPUs; a running VM gets the new definition at its next start", warnings: warnings)
    }

    /// Ends a VM's high availability: it leaves its group (the group ends with its last VM) and keeps
    /// running where it is; no host starts, stops or undefines it for the cluster any more.
    func removeVM(_ name: String) async throws -> Accepted {
        let held = try await groupHolding(vm: name)
        let rest = try held.spec.definition.removing(domain: name)
        var spec = held.spec
        if let rest { spec.definition = rest }
        let hosts = try await storedCoordinator()?.states[held.group]?.status.nodes.map(\.rawValue) ?? []
        guard try await replace(held, with: rest == nil ? nil : spec, also: [.delete(ClusterKeys.configuration(of: name))]) else { throw APIError("group \(held.group) changed meanwhile; try again") }
        logger.notice("VM no longer highly available", metadata: ["vm.name": "\(name)", "group": "\(held.group)"])
        let whereNow = hosts.isEmpty ? "it runs nowhere" : "it keeps running on \(hosts.joined(separator: ", "))"
        return Accepted("VM \(name) is no longer highly available (\(whereNow)); "
                        + (rest == nil ? "group \(held.group) ended with it" : "group \(held.group) keeps \(spec.domainNames.joined(separator: ", "))"))
    }

    /// The stored group that holds a VM, with its revision and the VM's configuration file.
    private func groupHolding(vm name: String) async throws -> (group: GroupID, spec: GroupSpec, revision: Revision, path: String) {
        let kvs = try await store.list(prefix: ClusterKeys.groups.prefix).kvs
        for kv in kvs {
            let spec = try ClusterKeys.groups.decode(kv.value, key: kv.key)
            guard let vm = spec.definition.vmResource(runningDomain: name) else { continue }
            guard let path = spec.configurationPath(of: vm.id) else { throw APIError("VM \(name) has no configuration resource in group \(spec.definition.id)") }
            return (spec.definition.id, spec, kv.modRevision, path)
        }
        throw APIError("no VM named \(name)")
    }

    /// Writes (or with nil deletes) a group, with `also` in the same transaction, unless it changed since it was read.
    private func replace(_ held: (group: GroupID, spec: GroupSpec, revision: Revision, path: String), with spec: GroupSpec?,
                         also: [TransactionOp] = []) async throws -> Bool {
        let key = ClusterKeys.group(held.group)
        let write: TransactionOp = try spec.map { .put(key, try StoreCoding.encode($0)) } ?? .delete(key)
        return try await store.transaction(Transaction(compare: [.modRevision(key, equals: held.revision)], success: [write] + also)).succeeded
    }
}
