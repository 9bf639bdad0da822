import AgentAPI
import Blocking
import ClusterSchema
import DomainXML
import Foundation
import HACoordination
import HACore

extension APIServer {
    /// The leader's last stored view, with live membership, capacity use and standing alerts.
    func status() async throws -> ClusterStatus {
        let coordinator = try await storedCoordinator()
        let members = Dictionary(try await store.nodes().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let leader = try await store.get(ClusterKeys.leader)?.stringValue
        let specs = try await groupSpecs()
        let now = Timestamp.wallClockNow
        let owners = coordinator?.states ?? [:]
        let headroom = Dictionary((coordinator?.capacityPlanner.headroom() ?? []).map { ($0.node, $0) }, uniquingKeysWith: { a, _ in a })
        var names = Set(members.keys)
        names.formUnion(coordinator?.nodes.keys.map { $0 } ?? [])
        let nodes = names.sorted().map { n -> NodeView in
            let known = coordinator?.nodes[n]
            let capacity = members[n]?.capacity ?? known?.capacity ?? NodeCapacity(memoryMiB: 0, vcpus: 0)
            let groups = owners.filter { $0.value.status.nodes.contains(n) }.map(\.key).sorted()
            let free = headroom[n]
            return NodeView(name: n.rawValue, state: known?.state.rawValue ?? members[n]?.state.rawValue ?? "unknown",
                            member: members[n] != nil, memoryMiB: capacity.memoryMiB, vcpus: capacity.vcpus, groups: groups.map(\.rawValue),
                            reserved: known?.reserved ?? false,
                            usedMemoryMiB: free.map { capacity.memoryMiB - capacity.reservedMemoryMiB - $0.freeMemoryMiB },
                            freeMemoryMiB: free?.freeMemoryMiB,
                            usedVCPUs: free.map { capacity.vcpus - $0.freeVCPUs }, freeVCPUs: free?.freeVCPUs,
                            vmCount: groups.reduce(0) { $0 + (specs[$1]?.domainNames.count ?? 0) },
                            quarantinedUntil: known?.quarantinedUntil.map(Self.iso8601), impairment: known?.impairment,
                            drain: known?.drain.map(DrainView.init))
        }
        let moves = try await latestMoves()
        let groups = specs.keys.sorted().map { g -> GroupView in
            let spec = specs[g]!
            let state = owners[g]?.status ?? .offline
            let policy = spec.definition.policy
            return GroupView(name: g.rawValue, status: state.name, nodes: state.nodes.map(\.rawValue),
                             vms: spec.domainNames, priority: policy.priority.rawValue,
                             policy: policy.summary, note: state.note,
                             lastRecovery: owners[g]?.recovery?.description,
                             preferredOwners: policy.preferredOwners.map(\.rawValue),
                             lastFailure: owners[g]?.lastFailure.map(Self.describe),
                             failoversLeft: (owners[g] ?? GroupState()).failoversLeft(policy.failover, at: now),
                             moveMethods: spec.definition.moveLadder.map(\.rawValue), moveMethodNotes: spec.definition.moveMethodNotes,
                             move: moves[g], verification: owners[g]?.verification.map { VerificationView($0) })
        }
        let alerts = (coordinator?.standingAlerts(at: now) ?? []).map { a -> AlertView in
            let subject: String?
            switch a.subject {
            case .cluster: subject = nil
            case .node(let n): subject = n.rawValue
            case .group(let g): subject = g.rawValue
            }
            return AlertView(severity: a.severity.rawValue, subject: subject, message: a.message)
        }
        return ClusterStatus(leader: leader, nodes: nodes, groups: groups, alerts: alerts + (try await configurationAlerts(specs)))
    }

    /// An alert for each VM whose domain XML on shared storage is no longer what Vigil last wrote or accepted.
    private func configurationAlerts(_ specs: [GroupID: GroupSpec]) async throws -> [AlertView] {
        let records = try await store.read(ClusterKeys.configurations)
        let byVM = Dictionary(records.records.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        let watched = specs.sorted { $0.key < $1.key }.flatMap { g, spec in
            spec.domainNames.compactMap { vm in byVM[vm].map { (vm: vm, group: g.rawValue, record: $0) } }
        }
        // One thread reads every file: the status never blocks the pool on shared storage.
        let drifts = await BlockingCall.run("vigil-xml-drift") { watched.map { ConfigurationDrift.check($0.record) } }
        return zip(watched, drifts).compactMap { item, drift in
            drift.alert(vm: item.vm, group: item.group, record: item.record)
                .map { AlertView(severity: $0.severity, subject: item.group, message: $0.message) }
        }
    }

    /// A failure as the status shows it: what, where and when.
    private static func describe(_ f: FailureHistory) -> String {
        "\(f.kind.rawValue)\(f.node.map { " on \($0)" } ?? "") at \(iso8601(f.at))"
    }

    /// A stored time as the API shows times (ISO 8601, UTC).
    static func iso8601(_ t: Timestamp) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(t.milliseconds) / 1000))
    }

    /// Validates the VM (the HA wizard): its configuration must come online on this host (its
    /// storage must be online here too), and every possible owner must be able to host it; then
    /// stores its group, unless `checkOnly`.
    func addVM(_ request: AddVMRequest, checkOnly: Bool = false) async throws -> Accepted {
        let shared = SharedStorage(root: configuration.sharedStorage)
        // Each name becomes part of a store key: checked before anything else is.
        do {
            if let domain = request.domain { try StoreName.check(domain, as: "VM") }
            if let group = request.group { try StoreName.check(group, as: "group") }
            for s in request.storage ?? [] { try StoreName.check(s.name, as: "storage") }
        } catch { throw APIError("\(error)") }
        let requested = try (request.storage ?? []).map { try Self.storageResource($0, shared: shared) }
        let specs = try await groupSpecs()
        let layout = VolumeLayout(groups: Array(specs.values), requested: requested.map { ($0.name, $0.binding) })
        let config = VMConfigurationResource(path: request.xmlPath, domainName: request.domain, storage: shared, volumes: layout.directories)
        let loaded: VMConfiguration
        do { loaded = try config.online() } catch { throw APIError(Self.explain(error, on: layout)) }
        let domain = loaded.definition.name
        do { try StoreName.check(domain, as: "VM") } catch { throw APIError("\(error)") }
        let policy = try Self.policy(applying: request, to: GroupPolicy())
        // Every volume a disk lies on, and the volumes nested with those, go into the VM's group.
        let needed = layout.needed(asked: Set(requested.map(\.name)), files: VolumeLayout.files(of: loaded.definition))
        let devices = needed.compactMap { n -> String? in
            if case .exclusive(let device, _) = n.volume.binding, device.hasPrefix("/dev/") { device } else { nil }
        }
        let (owners, ownerWarnings, report) = try await checkPossibleOwners(of: [loaded.definition], policy: policy, storage: shared, devices: devices)
        let methods = try Self.moveMethods(request.moveMethods, for: loaded.definition)
        let vm = VMDefinition(name: domain, domainXMLPath: loaded.path, memoryMiB: Int(loaded.definition.memoryKiB / 1024),
                              vcpus: loaded.definition.vcpus,
                              storage: Dictionary(needed.map { (ResourceID($0.volume.name), $0.volume.sharing) }, uniquingKeysWith: { _, last in last }),
                              moveMethods: methods)
        let definition: GroupDefinition
        do {
            definition = try GroupBuilder.group(for: vm, among: specs.values.map(\.definition).sorted { $0.id < $1.id },
                                                asked: request.group.map(GroupID.init), policy: policy)
        } catch { throw APIError("\(error)") }
        let groupID = definition.id
        var storageBindings = specs[groupID]?.storage ?? [:]
        for n in needed { storageBindings[n.volume.name] = n.volume.binding }
        let joined = needed.filter { $0.reason != "asked for" }
        let warnings = ownerWarnings + joined.map { n in
            "VM \(domain) uses storage \(n.volume.name) (\(n.reason))\(n.volume.group.map { " of group \($0)" } ?? ""), "
                + "so it goes into group \(groupID) with it"
        }
        let together = definition.vms.map(\.id.rawValue).filter { $0 != domain }.sorted()
        let moving = together.isEmpty ? "" : " with \(together.joined(separator: ", ")) (a group's VMs move together)"
        if checkOnly {
            let hosts = owners.map(\.rawValue).sorted().joined(separator: ", ")
            return Accepted("VM \(domain) passes every check (its disks and backing files on shared storage\(needed.isEmpty ? "" : " or its group's volumes"); "
                            + "possible owners \(hosts.isEmpty ? "none yet" : hosts) can host it); it would join group \(groupID)\(moving)",
                            warnings: warnings, report: report)
        }
        let key = ClusterKeys.group(groupID)
        let expected = try await store.get(key)?.modRevision ?? 0
        let result = try await store.transaction(Transaction(
            compare: [.modRevision(key, equals: expected)],
            success: [.put(key, try StoreCoding.encode(GroupSpec(definition: definition, storage: storageBindings))),
                      .put(ClusterKeys.configuration(of: domain),
                           try StoreCoding.encode(ConfigurationDrift.record(of: loaded.xml, at: loaded.path, by: "vm add")))]))
        guard result.succeeded else { throw APIError("group \(groupID) changed meanwhile; try again") }
        logger.notice("VM made highly available", metadata: ["vm.name": "\(domain)", "group": "\(groupID)"])
        return Accepted("VM \(domain) is highly available in group \(groupID)\(moving)", warnings: warnings)
    }

    /// A configuration error as the wizard reports it: a disk missing because it lies on an
    /// exclusive volume that is not mounted on this host says so, and where to run the check instead.
    static func explain(_ error: ConfigurationError, on layout: VolumeLayout) -> String {
        let unmounted = error.problems.compactMap { problem -> String? in
            guard case let .diskMissing(_, path) = problem, let v = layout.volume(holding: path),
                  case .exclusive = v.binding, (try? v.binding.isOnline()) != true else { return nil }
            return "\(path) lies on exclusive storage \(v.name) (mounted at \(v.binding.directory)), which is not mounted on this host; "
                + "run the wizard on the host that has it mounted (vigil --host), or mount it here first"
        }
        return ([error.description] + unmounted).joined(separator: "; ")
    }

    /// The move methods a VM gets: those asked for (default: all), except that a VM with a device QEMU
    /// cannot migrate or save moves cold only; asking for more is refused, naming the devices.
    static func moveMethods(_ asked: [String]?, for domain: DomainDefinition) throws -> [MoveMethod] {
        let pinned = OwnerEnvironmentCheck.unmigratableDevices(of: domain)
        guard let asked else { return pinned.isEmpty ? MoveMethod.allCases : [.cold] }
        let methods = try asked.map { name in
            guard let m = MoveMethod(rawValue: name) else { throw APIError("unknown move method '\(name)'; use live, quick or cold") }
            return m
        }
        if !pinned.isEmpty, let method = methods.first(where: { $0 != .cold }) {
            throw APIError("VM \(domain.name) passes through \(pinned.map(\.description).joined(separator: ", ")): QEMU cannot "
                           + "\(method == .live ? "live-migrate" : "save") it, so it can move cold only (use --move-methods cold)")
        }
        return methods
    }

    /// Checks the VMs against each possible owner (all member nodes when the policy names none).
    /// Returns the owners checked and the wizard's warnings.
    @discardableResult
    func checkPossibleOwners(of domains: [DomainDefinition], policy: GroupPolicy, storage: SharedStorage,
                             devices: [String] = []) async throws -> (owners: [NodeID], warnings: [String], report: WizardReport?) {
        let members = try await store.nodes()
        let owners = policy.possibleOwners.isEmpty ? members.map(\.id) : Array(policy.possibleOwners)
        let agents = Dictionary(try await store.read(ClusterKeys.agents).readableValues().map { ($0.node, $0) },
                                uniquingKeysWith: { a, _ in a })
        var capacities = (try await storedCoordinator())?.nodes.mapValues(\.capacity) ?? [:]
        for member in members { capacities[member.id] = member.capacity }
        let check = PossibleOwnerCheck(storage: storage, agents: agents, capacities: capacities, devices: devices)
        for domain in domains {
            let problems = check.problems(domain, on: owners)
            guard problems.isEmpty else {
                throw APIError("VM \(domain.name) cannot run on every possible owner: \(problems.joined(separator: "; "))",
                               report: domains.count == 1 ? check.report(domain, on: owners) : nil)
            }
        }
        return (owners, domains.flatMap { check.warnings($0, on: owners) }, domains.count == 1 ? check.report(domains[0], on: owners) : nil)
    }

    /// Changes a group's failover policy. New possible owners are checked against every VM of the
    /// group, as `vm add` does; the leader applies the new policy to its next decisions.
    func setPolicy(of g: GroupID, _ request: PolicyRequest) async throws -> Accepted {
        let key = ClusterKeys.group(g)
        guard let kv = try await store.get(key) else { throw APIError("no group named \(g)") }
        var spec = try ClusterKeys.groups.decode(kv.value, key: kv.key)
        let policy = try Self.policy(applying: request, to: spec.definition.policy)
        if request.possibleOwners != nil {
            let shared = SharedStorage(root: configuration.sharedStorage)
            let domains = try spec.definition.vms.compactMap { vm -> DomainDefinition? in
                guard case .virtualMachine(let name, _, _, _) = vm.kind, let path = spec.configurationPath(of: vm.id) else { return nil }
                do {
                    return try VMConfigurationResource(path: path, domainName: name, storage: shared, volumes: spec.volumeDirectories).online().definition
                } catch {
                    throw APIError("cannot check the new possible owners against \(vm.id): \(error)")
                }
            }
            try await checkPossibleOwners(of: domains, policy: policy, storage: shared, devices: spec.exclusiveDevices)
        }
        do {
            spec.definition = try GroupDefinition(id: g, resources: spec.definition.resources,
                                                  dependencies: spec.definition.dependencies, policy: policy)
        } catch { throw APIError("\(error)") }
        let result = try await store.transaction(Transaction(
            compare: [.modRevision(key, equals: kv.modRevision)],
            success: [.put(key, try StoreCoding.encode(spec))]))
        guard result.succeeded else { throw APIError("group \(g) changed meanwhile; try again") }
        logger.notice("group policy changed", metadata: ["group": "\(g)", "policy": "\(policy.summary)"])
        return Accepted("group \(g): \(policy.summary)")
    }

    /// A storage request as the resource kind and this host's binding, validated: an exclusive volume's
    /// device is a block device by a name every host resolves alike, or an image file on shared storage;
    /// its mount point is a directory of each host's own, not on shared storage.
    static func storageResource(_ r: StorageRequest, shared: SharedStorage) throws -> (name: String, sharing: StorageSharing, binding: StorageResource) {
        switch (r.device, r.mountPoint, r.path) {
        case let (device?, mount?, nil):
            guard device.hasPrefix("/"), mount.hasPrefix("/") else { throw APIError("storage \(r.name): device and mount point must be absolute paths") }
            if device.hasPrefix("/dev/") {
                guard BlockDevicePath.isStable(device) else {
                    throw APIError("storage \(r.name): device \(device) may name another device after a reboot or on another host; "
                                   + "name it under /dev/disk/by-id, by-uuid or by-path, or /dev/mapper (ls -l /dev/disk/by-id shows which is which)")
                }
            } else {
                guard shared.contains(device) else {
                    throw APIError("storage \(r.name): image file \(device) is not on shared storage (\(shared.root)), so no other host "
                                   + "could mount it; move it there, or use a block device every host sees")
                }
                guard FileManager.default.fileExists(atPath: device) else {
                    throw APIError("storage \(r.name): image file \(device) does not exist")
                }
            }
            if shared.contains(mount) || SharedStorage.path(shared.root, liesUnder: mount) {
                throw APIError("storage \(r.name): mount point \(mount) \(shared.contains(mount) ? "lies on" : "holds") shared storage "
                               + "(\(shared.root)), which every host sees; mount exclusive storage on a directory of each host's own, such as /mnt/\(r.name)")
            }
            return (r.name, .exclusive, .exclusive(device: device, mountPoint: mount))
        case let (nil, nil, path?):
            guard path.hasPrefix("/") else { throw APIError("storage \(r.name): path must be absolute") }
            return (r.name, .shared, .shared(path: path))
        default:
            throw APIError("storage \(r.name): give a device and a mount point (exclusive), or a path (shared)")
        }
    }

    /// `base` with the settings `fields` gives; each bad value is named.
    static func policy(applying fields: some PolicyFields, to base: GroupPolicy) throws -> GroupPolicy {
        var policy = base
        if let p = fields.priority {
            guard let priority = GroupPriority(rawValue: p) else { throw APIError("unknown priority '\(p)'; use high, medium, low or noAutoStart") }
            policy.priority = priority
        }
        if let owners = fields.preferredOwners { policy.preferredOwners = owners.map(NodeID.init) }
        if let owners = fields.possibleOwners { policy.possibleOwners = Set(owners.map(NodeID.init)) }
        if let classes = fields.antiAffinity { policy.antiAffinityClasses = Set(classes) }
        do {
            if let text = fields.restart { policy.restart = try ThresholdPolicy(text: text) }
            if let text = fields.failover { policy.failover = try ThresholdPolicy(text: text) }
            if let text = fields.failback { policy.failback = try FailbackPolicy(text: text) }
            if let text = fields.migration {
                let migration = try MigrationPolicy(text: text)
                policy.migration = migration.isEmpty ? nil : migration
            }
            if let text = fields.paused { policy.pausedGuest = try PausedGuestPolicy(text: text) }
        } catch { throw APIError("\(error)") }
        if !policy.possibleOwners.isEmpty, let outside = policy.preferredOwners.first(where: { !policy.possibleOwners.contains($0) }) {
            throw APIError("preferred owner \(outside) is not among the possible owners")
        }
        return policy
    }

    /// Removes a group that runs nowhere.
    func removeGroup(_ g: GroupID) async throws -> Accepted {
        guard try await groupSpecs()[g] != nil else { throw APIError("no group named \(g)") }
        if let state = try await storedCoordinator()?.states[g], !state.status.nodes.isEmpty {
            throw APIError("group \(g) is \(state.status.name) on \(state.status.nodes.map(\.rawValue).joined(separator: ", ")); stop it first (vigil group stop \(g))")
        }
        _ = try await store.delete(ClusterKeys.group(g))
        return Accepted("group \(g) removed")
    }

    func requestMove(_ g: GroupID, to target: NodeID?) async throws -> Accepted {
        guard try await groupSpecs()[g] != nil else { throw APIError("no group named \(g)") }
        if let target, try await !knownNode(target) { throw APIError("no node named \(target)") }
        try await send(.moveRequested(g, to: target))
        return Accepted("move of \(g) to \(target?.rawValue ?? "the best node") requested")
    }

    /// Asks the leader to take a group offline and keep it so (`vigil group stop`).
    func requestStop(_ g: GroupID) async throws -> Accepted {
        guard try await groupSpecs()[g] != nil else { throw APIError("no group named \(g)") }
        try await send(.stopRequested(g))
        return Accepted("stop of \(g) requested")
    }

    /// Asks the leader to start a stopped group, on `node` or the best one (`vigil group start`).
    func requestStart(_ g: GroupID, on node: NodeID?) async throws -> Accepted {
        guard try await groupSpecs()[g] != nil else { throw APIError("no group named \(g)") }
        if let node, try await !knownNode(node) { throw APIError("no node named \(node)") }
        try await send(.startRequested(g, on: node))
        return Accepted("start of \(g) on \(node?.rawValue ?? "the best node") requested")
    }

    func nodeRequest(_ n: NodeID, _ action: NodeAction, _ request: NodeRequest = NodeRequest()) async throws -> Accepted {
        guard try await knownNode(n) else { throw APIError("no node named \(n)") }
        if request.deadline != nil, action != .drain { throw APIError("only a drain takes a deadline") }
        if request.failback != nil, action != .resume { throw APIError("only a resume takes failback") }
        switch action {
        case .drain: try await send(.drainRequested(n, deadline: try Self.drainDeadline(request)))
        case .abortDrain: try await send(.drainAborted(n))
        case .resume: try await send(.resumeRequested(n, failback: request.failback == true ? true : nil))
        case .reserve: try await send(.reserveRequested(n))
        case .unreserve: try await send(.unreserveRequested(n))
        }
        let details = [request.deadline.map { "deadline \($0)" }, request.failback == true ? "with failback" : nil].compactMap { $0 }
        return Accepted("\(action.rawValue) of \(n) requested" + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))"))
    }

    /// N+x for `failures` nodes, and a what-if when nodes are named.
    func capacity(failures: Int, failing: [NodeID] = []) async throws -> CapacityReport {
        guard failures >= 0 else { throw APIError("failures must not be negative") }
        guard let coordinator = try await storedCoordinator() else { throw APIError("no leader has stored the cluster state yet") }
        let planner = coordinator.capacityPlanner
        if let unknown = failing.first(where: { n in !planner.nodes.contains { $0.id == n } }) { throw APIError("no node named \(unknown)") }
        let report = planner.lossTolerance(count: failures)
        let headroom = Dictionary(uniqueKeysWithValues: planner.headroom().map {
            ($0.node.rawValue, ["freeMemoryMiB": $0.freeMemoryMiB, "freeVCPUs": $0.freeVCPUs])
        })
        let whatIf = failing.isEmpty ? nil : planner.whatIf(failing: Set(failing))
        return CapacityReport(failures: failures, survives: report.survives, exhaustive: report.exhaustive,
                              groupsAtRisk: report.groupsAtRisk.map(\.rawValue).sorted(), headroom: headroom,
                              whatIf: whatIf.map { w in
                                  WhatIfReport(failing: w.failing.map(\.rawValue).sorted(),
                                               placements: Dictionary(uniqueKeysWithValues: w.placements.map { ($0.key.rawValue, $0.value.rawValue) }),
                                               unplaced: Dictionary(uniqueKeysWithValues: w.unplaced.map { ($0.key.rawValue, $0.value) }))
                              },
                              tolerates: planner.toleratedFailures(maximum: max(failures, CapacityReport.toleranceChecked)),
                              reserveHosts: planner.nodes.filter(\.reserved).map(\.id.rawValue))
    }

    func send(_ event: ClusterEvent) async throws {
        let message = InboxMessage(sender: "api@\(node)", body: .event(event))
        _ = try await store.put(ClusterKeys.inbox(message.id), try StoreCoding.encode(message))
    }

    private func knownNode(_ n: NodeID) async throws -> Bool {
        if try await store.get(ClusterKeys.node(n)) != nil { return true }
        return try await storedCoordinator()?.nodes[n] != nil
    }

    func storedCoordinator() async throws -> ClusterCoordinator? {
        guard let stored = try await StoredCoordinator.load(from: store) else { return nil }
        return ClusterCoordinator(configuration: (try? configuration.coordinatorConfiguration()) ?? CoordinatorConfiguration(),
                                  groups: try await groupSpecs().values.map(\.definition), restoring: stored)
    }

    /// Every group's latest move (`moves/<group>`), as the API shows it; unreadable records are skipped.
    func latestMoves() async throws -> [GroupID: MoveView] {
        let listing = try await store.read(ClusterKeys.moves)
        return Dictionary(listing.values.map { ($0.group, MoveView($0)) }, uniquingKeysWith: { a, b in a.startedAt >= b.startedAt ? a : b })
    }

    func groupSpecs() async throws -> [GroupID: GroupSpec] {
        let groups = try await store.read(ClusterKeys.groups)
        if let unreadable = groups.unreadable.first { throw unreadable }
        return groups.specs
    }
}
