import ClusterSchema
import HACore

extension NodeAgent {
    /// At start-up, ends the moves this agent's previous process died in (kill -9, a crash). A live
    /// migration it started runs on in libvirtd with no one to supervise it (no budget, no ladder,
    /// no abort): it is aborted, so the guest keeps running here and the cluster decides afresh.
    func endInterruptedMoves() async {
        await MoveJournal.closeInterrupted(on: node, in: store, logger: logger) { record in
            guard record.method == .live, record.phase == .migrating else { return nil }
            return await self.abortOrphanedMigrations(of: record.group)
        }
    }

    /// Aborts the outgoing migrations of the group's domains; says which were aborted, or nil if none ran.
    private func abortOrphanedMigrations(of group: GroupID) async -> String? {
        let domains: Set<String>
        do {
            guard let kv = try await store.get(ClusterKeys.group(group)) else { return nil }
            domains = Set(try ClusterKeys.groups.decode(kv.value, key: kv.key).domainNames)
        } catch {
            logger.warning("cannot read the group of an interrupted move", metadata: ["group": "\(group)", "error": "\(error)"])
            return nil
        }
        let outgoing = await blocking { [hypervisor] in
            ((try? hypervisor.domains()) ?? []).filter { $0.migratingOut && domains.contains($0.name) }.map(\.name).sorted()
        }
        var aborted: [String] = []
        for domain in outgoing {
            logger.notice("aborting a live migration no agent supervises", metadata: ["group": "\(group)", "vm.name": "\(domain)"])
            do {
                try await blocking { [hypervisor] in try hypervisor.abortMigration(domain) }
                aborted.append(domain)
            } catch {
                logger.warning("cannot abort the orphaned migration", metadata: ["vm.name": "\(domain)", "error": "\(error)"])
            }
        }
        return aborted.isEmpty ? nil : "its live migration of \(aborted.joined(separator: ", ")), left without a supervisor, was aborted: the guest runs on here"
    }
}
