import ClusterSchema
import HACoordination
import HACore
import Logging
import Synchronization

/// The record of one move this host performs, kept current in the store (`moves/<group>`), and the
/// decision records of its steps (each rung of the ladder, an image set aside, a cold start instead
/// of a restore). Progress alone is written at most once per `progressInterval`; steps at once. A
/// write that fails is logged and the move goes on: the record informs, it never gates the move.
actor MoveJournal {
    private let store: any CoordinationStore
    private let node: NodeID
    private let logger: Logger
    private(set) var record: MoveRecord
    private let progressInterval: Duration
    private var lastWrite: ContinuousClock.Instant?
    /// Orders this process's decision records written at the same millisecond.
    private static let sequence = Atomic<Int>(0)

    init(store: any CoordinationStore, node: NodeID, record: MoveRecord, logger: Logger, progressInterval: Duration = .seconds(1)) {
        self.store = store
        self.node = node
        self.record = record
        self.logger = logger
        self.progressInterval = progressInterval
    }

    /// The group's latest move as the store has it (nil when none, or unreadable: logged).
    static func load(_ group: GroupID, from store: any CoordinationStore, logger: Logger) async -> MoveRecord? {
        do {
            guard let kv = try await store.get(ClusterKeys.move(group)) else { return nil }
            return try ClusterKeys.moves.decode(kv.value, key: kv.key)
        } catch {
            logger.warning("cannot read the group's move record", metadata: ["group": "\(group)", "error": "\(error)"])
            return nil
        }
    }

    /// Ends, as `failed` with a step saying why, every move whose current phase this node was
    /// performing: at start-up, they were left by this agent's previous process (kill -9, a crash).
    /// `settle` first deals with what the move left running and says what it did.
    static func closeInterrupted(on node: NodeID, in store: any CoordinationStore, logger: Logger,
                                 settle: @Sendable (MoveRecord) async -> String? = { _ in nil }) async {
        let records: [MoveRecord]
        do {
            records = Array(try await store.read(ClusterKeys.moves).values)
        } catch {
            logger.warning("cannot read the move records", metadata: ["error": "\(error)"])
            return
        }
        for record in records where record.isPerformed(by: node) {
            let settled = await settle(record)
            let journal = MoveJournal(store: store, node: node, record: record, logger: logger)
            await journal.step(vm: nil, "interrupted", reason: record.interruption(of: node) + (settled.map { "; \($0)" } ?? ""),
                               severity: .warning, phase: .failed)
        }
    }

    /// Ends, as `failed`, a move of `group` still under way when the group was brought online on
    /// `node` by a start or an adoption (the cluster recovered it outside the move: its source or
    /// target died or was cut off); its save images are set aside, so that none is ever restored.
    static func supersede(_ group: GroupID, onlineOn node: NodeID, in store: any CoordinationStore, logger: Logger) async {
        guard var record = await load(group, from: store, logger: logger), record.isUnderWay else { return }
        var aside: [String] = []
        for (domain, vm) in record.vms.sorted(by: { $0.key < $1.key }) {
            guard let image = vm.image, FileSystem.exists(image.path), (try? FileSystem.setAside(image.path)) != nil else { continue }
            aside.append(domain)
            record.vms[domain]?.image = nil
        }
        let journal = MoveJournal(store: store, node: node, record: record, logger: logger)
        await journal.step(vm: nil, "superseded", reason: "\(group) was brought online on \(node) outside this move, which ended in its \(record.phase.rawValue) phase"
                               + (aside.isEmpty ? "" : "; the save image(s) of \(aside.joined(separator: ", ")) were set aside"),
                           severity: .warning, phase: .failed)
    }

    /// Publishes the record as it is now.
    func begin() async { await write() }

    /// A new progress sample (or none) and the rung of one VM's live migration.
    func progress(_ vm: String, _ sample: MigrationProgress?, rung: MigrationRung) async {
        var entry = record.vms[vm] ?? MoveRecord.VM()
        entry.rung = rung
        if let sample { entry.progress = sample }
        record.vms[vm] = entry
        if let last = lastWrite, ContinuousClock.now - last < progressInterval { return }
        await write()
    }

    /// Changes the record (phase, images) and publishes it.
    func update(_ change: (inout MoveRecord) -> Void) async {
        change(&record)
        await write()
    }

    /// A step of the move, with its reason: in the record, and as a decision record (`vigil events`).
    func step(vm: String?, _ what: String, reason: String, severity: AlertSeverity? = nil, phase: MoveRecord.Phase? = nil) async {
        let now = Timestamp.wallClockNow
        record.steps.append(MoveRecord.Step(at: now, node: node, vm: vm, what: what, reason: reason))
        if let phase { record.phase = phase }
        logger.notice("move step", metadata: ["group": "\(record.group)", "move": "\(record.id)", "vm.name": "\(vm ?? "")",
                                               "step": "\(what)", "reason": "\(reason)"])
        let decision = DecisionRecord(at: now, trigger: "\(record.method) migration \(record.id) of \(record.group) \(record.from)->\(record.to)",
                                      action: "\(what)\(vm.map { " \($0)" } ?? "") \(record.from)->\(record.to)", group: record.group,
                                      nodes: [record.from, record.to], severity: severity, reason: reason)
        let sequence = Self.sequence.add(1, ordering: .relaxed).newValue
        do {
            _ = try await store.put(ClusterKeys.decision(at: now, leader: node, sequence: sequence), try StoreCoding.encode(decision))
        } catch {
            logger.error("cannot record a move step", metadata: ["group": "\(record.group)", "error": "\(error)"])
        }
        await write()
    }

    private func write() async {
        record.updatedAt = Timestamp.wallClockNow
        lastWrite = ContinuousClock.now
        do {
            _ = try await store.put(ClusterKeys.move(record.group), try StoreCoding.encode(record))
        } catch {
            logger.warning("cannot publish the move record", metadata: ["group": "\(record.group)", "move": "\(record.id)", "error": "\(error)"])
        }
    }
}
