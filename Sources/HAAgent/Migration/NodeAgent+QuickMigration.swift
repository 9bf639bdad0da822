import ClusterSchema
import HACoordination
import HACore

/// The two halves of a quick migration, journaled in the group's move record: the source saves
/// and records the images it wrote; the target restores only images its move recorded as saved.
extension NodeAgent {
    /// Source side: save the VMs to images named after the move, release the storage, record the images.
    func quickSave(_ spec: GroupSpec, to target: NodeID, task: AgentTask) async throws {
        let runner = runner(for: spec)
        let move = task.moveID
        let journal = MoveJournal(store: store, node: node, record: MoveRecord(
            id: move, group: spec.definition.id, from: node, to: target, method: .quick, phase: .saving, at: .wallClockNow), logger: logger)
        await journal.begin()
        if let lost = await unreachable(target) {
            // Saving would stop the guest for a restore that cannot happen.
            await journal.step(vm: nil, "quick save not begun", reason: "\(lost)", severity: .warning, phase: .failed)
            throw lost
        }
        do {
            let images = try await blocking { try runner.saveForQuickMigration(spec.definition, move: move) }
            await journal.update { record in
                for (domain, image) in images { record.vms[domain, default: MoveRecord.VM()].image = image }
                record.phase = .saved
            }
        } catch {
            await journal.step(vm: nil, "quick save failed", reason: "\(error)", severity: .warning, phase: .failed)
            throw error
        }
    }

    /// Target side: restore from the move's recorded images; a VM whose image cannot be trusted is
    /// started from its disks, and a decision record says why.
    func quickRestore(_ spec: GroupSpec, from source: NodeID, task: AgentTask) async throws {
        let runner = runner(for: spec)
        let moveID = task.moveID
        let stored = await MoveJournal.load(spec.definition.id, from: store, logger: logger)
        var record = stored.flatMap { $0.id == moveID ? $0 : nil }
            ?? MoveRecord(id: moveID, group: spec.definition.id, from: source, to: node, method: .quick, phase: .restoring, at: .wallClockNow)
        record.phase = .restoring
        let journal = MoveJournal(store: store, node: node, record: record, logger: logger)
        await journal.begin()
        do {
            let outcomes = try await blocking { try runner.restoreFromQuickMigration(spec.definition, move: stored, moveID: moveID) }
            for (domain, outcome) in outcomes.sorted(by: { $0.key < $1.key }) {
                if case .coldStarted(let reason) = outcome {
                    await journal.step(vm: domain, "cold start instead of restore", reason: reason, severity: .warning)
                }
            }
            await journal.update { $0.phase = .done }
        } catch {
            await journal.step(vm: nil, "quick restore failed", reason: "\(error)", severity: .warning, phase: .failed)
            throw error
        }
    }
}
