/// The agent's API paths, shared by `vigild` and the `vigil` CLI.
public enum AgentAPI {
    public static let status = "/v1/status"
    public static let vms = "/v1/vms"
    /// Runs every check of `vms` without making the VM highly available.
    public static let checkVM = "/v1/vms?check=1"
    public static let capacity = "/v1/capacity"
    /// Every group's latest move (`MoveList`).
    public static let moves = "/v1/moves"
    /// N+x for `failures` nodes, and a what-if for the named nodes failing together.
    public static func capacity(failures: Int, failing: [String] = []) -> String {
        "\(capacity)?failures=\(failures)" + failing.map { "&fail=\($0)" }.joined()
    }
    /// One HA VM: PUT a new domain XML (`EditVMRequest`), DELETE to end its high availability.
    public static func vm(_ name: String) -> String { "\(vms)/\(name)" }
    /// One HA VM's domain XML as stored (`VMConfigurationView`).
    public static func vmXML(_ name: String) -> String { "\(vms)/\(name)/xml" }
    public static func group(_ name: String) -> String { "/v1/groups/\(name)" }
    public static func move(_ group: String) -> String { "/v1/groups/\(group)/move" }
    /// POST: verify the group, moving it to each possible owner in turn and back (`Accepted`, 202).
    public static func verify(_ group: String) -> String { "/v1/groups/\(group)/verify" }
    /// POST: abort the group's verification under way (`Accepted`, 202).
    public static func abortVerify(_ group: String) -> String { "/v1/groups/\(group)/abort-verify" }
    public static func policy(_ group: String) -> String { "/v1/groups/\(group)/policy" }
    /// POST: take a group offline and keep it offline until it is started (`Accepted`).
    public static func stop(_ group: String) -> String { "/v1/groups/\(group)/stop" }
    /// POST a `StartRequest`: start a stopped group (`Accepted`).
    public static func start(_ group: String) -> String { "/v1/groups/\(group)/start" }
    /// POST, with a `NodeRequest` body for drain and resume (`Accepted`).
    public static func node(_ name: String, _ action: NodeAction) -> String { "/v1/nodes/\(name)/\(action.rawValue)" }
    /// GET what a drain of the node would do now (`DrainPlanView`).
    public static func drainPlan(_ name: String) -> String { "/v1/nodes/\(name)/drain-plan" }
    /// The default unix socket of the local agent.
    public static let defaultSocket = "/run/vigil/vigild.sock"
}

/// What an operator can ask of a node.
public enum NodeAction: String, Codable, Sendable, CaseIterable {
    /// Move every group away (live, then quick, then cold), then leave the node paused.
    case drain
    /// Stop a drain: no new move starts and its live migrations in flight are aborted (their guests keep running on the node).
    case abortDrain = "abort-drain"
    /// Return a paused, draining or quarantined node to service.
    case resume
    /// Make the node a reserve host: it takes groups only when no other node can, and gives them back.
    case reserve
    /// Return a reserve host to ordinary placement.
    case unreserve
}

/// The cluster as the leader last stored it.
public struct ClusterStatus: Codable, Sendable, Equatable {
    public var leader: String?
    public var nodes: [NodeView]
    public var groups: [GroupView]
    /// What needs an operator's eye now, most severe first (absent from older agents).
    public var alerts: [AlertView]?

    public init(leader: String?, nodes: [NodeView], groups: [GroupView], alerts: [AlertView]? = nil) {
        self.leader = leader
        self.nodes = nodes
        self.groups = groups
        self.alerts = alerts
    }
}

/// One standing alert in `ClusterStatus`: a failed group, a quarantined node, N+1 not met, a move in flight.
public struct AlertView: Codable, Sendable, Equatable {
    /// info, warning or critical.
    public var severity: String
    /// The group or node it is about (nil: the cluster).
    public var subject: String?
    public var message: String

    public init(severity: String, subject: String?, message: String) {
        self.severity = severity
        self.subject = subject
        self.message = message
    }
}

/// One node in `ClusterStatus`.
public struct NodeView: Codable, Sendable, Equatable {
    public var name: String
    /// up, down, paused, draining or quarantined.
    public var state: String
    /// Whether the node holds a lease right now.
    public var member: Bool
    public var memoryMiB: Int
    public var vcpus: Int
    public var groups: [String]
    /// A reserve host (hot spare): takes groups only when no other node can (absent from older agents).
    public var reserved: Bool?
    /// What the groups committed to it use, and what is left for guests (after its host reserve).
    public var usedMemoryMiB: Int?
    public var freeMemoryMiB: Int?
    public var usedVCPUs: Int?
    public var freeVCPUs: Int?
    /// HA VMs of the groups committed to it.
    public var vmCount: Int?
    /// When its quarantine ends on its own (ISO 8601, UTC); nil when not quarantined or until resumed.
    public var quarantinedUntil: String?
    /// Why its agent reports that it cannot host groups now (libvirtd does not answer, shared storage
    /// fails); nil while it can. What runs there stays; it takes no groups meanwhile.
    public var impairment: String?
    /// Its latest drain (nil: never drained, or an older agent).
    public var drain: DrainView?

    public init(name: String, state: String, member: Bool, memoryMiB: Int, vcpus: Int, groups: [String], reserved: Bool? = nil,
                usedMemoryMiB: Int? = nil, freeMemoryMiB: Int? = nil, usedVCPUs: Int? = nil, freeVCPUs: Int? = nil,
                vmCount: Int? = nil, quarantinedUntil: String? = nil, impairment: String? = nil, drain: DrainView? = nil) {
        self.name = name
        self.state = state
        self.member = member
        self.memoryMiB = memoryMiB
        self.vcpus = vcpus
        self.groups = groups
        self.reserved = reserved
        self.usedMemoryMiB = usedMemoryMiB
        self.freeMemoryMiB = freeMemoryMiB
        self.usedVCPUs = usedVCPUs
        self.freeVCPUs = freeVCPUs
        self.vmCount = vmCount
        self.quarantinedUntil = quarantinedUntil
        self.impairment = impairment
        self.drain = drain
    }
}

/// One group in `ClusterStatus`.
public struct GroupView: Codable, Sendable, Equatable {
    public var name: String
    /// offline, starting, online, restarting, stopping, migrating, failed, stopped (by an operator, until
    /// started), or locked (a start was refused
    /// by its disk locks: it presumably still runs on `nodes`, whose agent is unreachable; retried).
    public var status: String
    /// Nodes the group runs on or is moving between.
    public var nodes: [String]
    public var vms: [String]
    public var priority: String
    /// Every policy setting in the form `vigil group policy` takes (absent from older agents).
    public var policy: String?
    /// Why the group is where it is, when its status alone does not say (a `locked` group).
    public var note: String?
    /// Its last recovery from a lost node: detected, fenced, start ordered, online (times after detection).
    public var lastRecovery: String?
    /// Its preferred owners, most preferred first.
    public var preferredOwners: [String]?
    /// Its last failure handled: a restart in place or a failover, and when (absent: none recorded).
    public var lastFailure: String?
    /// Failovers its policy still allows within the current period before it is left failed.
    public var failoversLeft: Int?
    /// The move methods it allows, best first (absent from older agents).
    public var moveMethods: [String]?
    /// Why each method it does not allow is ruled out.
    public var moveMethodNotes: [String]?
    /// Its latest move, under way or finished.
    public var move: MoveView?
    /// Its verification under way, or its last one (`vigil verify`).
    public var verification: VerificationView?

    public init(name: String, status: String, nodes: [String], vms: [String], priority: String, policy: String? = nil,
                note: String? = nil, lastRecovery: String? = nil, preferredOwners: [String]? = nil, lastFailure: String? = nil,
                failoversLeft: Int? = nil, moveMethods: [String]? = nil, moveMethodNotes: [String]? = nil,
                move: MoveView? = nil, verification: VerificationView? = nil) {
        self.verification = verification
        self.preferredOwners = preferredOwners
        self.lastFailure = lastFailure
        self.failoversLeft = failoversLeft
        self.moveMethods = moveMethods
        self.moveMethodNotes = moveMethodNotes
        self.move = move
        self.note = note
        self.lastRecovery = lastRecovery
        self.name = name
        self.status = status
        self.nodes = nodes
        self.vms = vms
        self.priority = priority
        self.policy = policy
    }
}

/// A group's failover policy settings as text; nil leaves a setting as it is (or at its default),
/// an empty list clears it.
public protocol PolicyFields: Sendable {
    /// high, medium, low or noAutoStart.
    var priority: String? { get }
    /// Preferred owners, most preferred first.
    var preferredOwners: [String]? { get }
    /// Possible owners (empty: every node).
    var possibleOwners: [String]? { get }
    var antiAffinity: [String]? { get }
    /// Restarts allowed on one node within a period before failing over: COUNT/PERIOD, e.g. 1/15m.
    var restart: String? { get }
    /// Failovers allowed within a period before the group is left failed: COUNT/PERIOD, e.g. 2/6h.
    var failover: String? { get }
    /// never, immediately or window:START-END (hours).
    var failback: String? { get }
    /// Live-migration limits: `default` or e.g. `completion-per-gib=60s,no-progress=30s,post-copy=on`.
    var migration: String? { get }
    /// A guest paused on a disk I/O error: auto-resume, leave-paused or power-off.
    var paused: String? { get }
}


/// Changes a group's failover policy; settings left out stay as they are.
public struct PolicyRequest: PolicyFields, Codable, Equatable {
    public var priority: String?
    public var preferredOwners: [String]?
    public var possibleOwners: [String]?
    public var antiAffinity: [String]?
    public var restart: String?
    public var failover: String?
    public var failback: String?
    public var migration: String?
    public var paused: String?

    public init(priority: String? = nil, preferredOwners: [String]? = nil, possibleOwners: [String]? = nil,
                antiAffinity: [String]? = nil, restart: String? = nil, failover: String? = nil, failback: String? = nil,
                migration: String? = nil, paused: String? = nil) {
        self.migration = migration
        self.paused = paused
        self.priority = priority
        self.preferredOwners = preferredOwners
        self.possibleOwners = possibleOwners
        self.antiAffinity = antiAffinity
        self.restart = restart
        self.failover = failover
        self.failback = failback
    }
}

/// Makes a VM highly available: its domain XML on shared storage becomes a configuration resource
/// and the domain a VM resource, in a group of its own or an existing one.
public struct AddVMRequest: PolicyFields, Codable, Equatable {
    /// The domain name as in its XML (nil: the domain the XML defines).
    public var domain: String?
    /// The domain XML file on shared storage.
    public var xmlPath: String
    /// The group to join or create (default: the domain name).
    public var group: String?
    /// high, medium, low or noAutoStart (default medium).
    public var priority: String?
    public var preferredOwners: [String]?
    public var possibleOwners: [String]?
    /// Allowed move methods, best first: live, quick, cold (default all three).
    public var moveMethods: [String]?
    public var antiAffinity: [String]?
    /// Storage the VM needs, online before its configuration. A VM naming storage that another
    /// group already has joins that group (VMs on one exclusive volume move together).
    public var storage: [StorageRequest]?
    public var restart: String?
    public var failover: String?
    public var failback: String?
    public var migration: String?
    public var paused: String?

    public init(domain: String?, xmlPath: String, group: String? = nil, priority: String? = nil, preferredOwners: [String]? = nil,
                possibleOwners: [String]? = nil, moveMethods: [String]? = nil, antiAffinity: [String]? = nil,
                storage: [StorageRequest]? = nil, restart: String? = nil, failover: String? = nil, failback: String? = nil,
                migration: String? = nil, paused: String? = nil) {
        self.migration = migration
        self.paused = paused
        self.restart = restart
        self.failover = failover
        self.failback = failback
        self.domain = domain
        self.xmlPath = xmlPath
        self.group = group
        self.priority = priority
        self.preferredOwners = preferredOwners
        self.possibleOwners = possibleOwners
        self.moveMethods = moveMethods
        self.antiAffinity = antiAffinity
        self.storage = storage
    }
}

/// A storage resource of a group: exclusive (a device mounted on the owner only) or shared (a path
/// every host has).
public struct StorageRequest: Codable, Sendable, Equatable {
    /// The resource's name, unique in the cluster.
    public var name: String
    /// Exclusive: the image file or block device, and where the owner mounts it.
    public var device: String?
    public var mountPoint: String?
    /// Shared: a directory present on every host.
    public var path: String?

    public init(name: String, device: String? = nil, mountPoint: String? = nil, path: String? = nil) {
        self.name = name
        self.device = device
        self.mountPoint = mountPoint
        self.path = path
    }
}

/// Asks to start a stopped group, on a node (if it is allowed and fits) or wherever fits best.
public struct StartRequest: Codable, Sendable, Equatable {
    public var node: String?
    public init(node: String?) { self.node = node }
}

/// Asks to move a group (to a node, or wherever fits best), or to start or clear a failed one.
public struct MoveRequest: Codable, Sendable, Equatable {
    public var to: String?
    public init(to: String?) { self.to = to }
}

/// Whether the cluster can lose `failures` nodes and still run every HA group.
public struct CapacityReport: Codable, Sendable, Equatable {
    public var failures: Int
    public var survives: Bool
    public var exhaustive: Bool
    /// Groups that would not fit in at least one failure combination.
    public var groupsAtRisk: [String]
    /// Free memory (MiB) and vCPUs per node now.
    public var headroom: [String: [String: Int]]
    /// What would happen if the named nodes failed together (when some were named).
    public var whatIf: WhatIfReport?
    /// The x of N+x: how many nodes the cluster as configured, reserve hosts included, can lose and
    /// still place every HA group, checked up to `toleranceChecked` (or `failures`, if more) nodes
    /// (absent from older agents).
    public var tolerates: Int?
    /// How many failures `tolerates` is checked up to by default: each count is every combination
    /// of that many nodes, so the search stops there on large clusters.
    public static let toleranceChecked = 3
    /// The reserve hosts (hot spares) counted in it.
    public var reserveHosts: [String]?

    public init(failures: Int, survives: Bool, exhaustive: Bool, groupsAtRisk: [String], headroom: [String: [String: Int]],
                whatIf: WhatIfReport? = nil, tolerates: Int? = nil, reserveHosts: [String]? = nil) {
        self.tolerates = tolerates
        self.reserveHosts = reserveHosts
        self.failures = failures
        self.survives = survives
        self.exhaustive = exhaustive
        self.groupsAtRisk = groupsAtRisk
        self.headroom = headroom
        self.whatIf = whatIf
    }
}

/// The answer to a request that was accepted (a group stored, a request queued for the leader).
public struct Accepted: Codable, Sendable, Equatable {
    public var accepted: String
    /// What works but the operator should know (the HA wizard's warnings), each naming the VM and the fix.
    public var warnings: [String]?
    /// The HA wizard's report per possible owner (a check of `vm add`).
    public var report: WizardReport?
    public init(_ accepted: String, warnings: [String]? = nil, report: WizardReport? = nil) {
        self.accepted = accepted
        self.warnings = warnings.flatMap { $0.isEmpty ? nil : $0 }
        self.report = report
    }

    /// The answer as the CLI prints it: the sentence, then one line per warning.
    public var text: String { ([accepted] + (warnings ?? []).map { "warning: \($0)" }).joined(separator: "\n") }
}

/// The body of every error answer: what was wrong, naming it.
public struct APIError: Codable, Sendable, Equatable, Error, CustomStringConvertible {
    public var error: String
    /// The HA wizard's report per possible owner, when the wizard refused a VM some owner cannot host.
    public var report: WizardReport?
    public init(_ error: String, report: WizardReport? = nil) {
        self.error = error
        self.report = report
    }
    public var description: String { error }
}

/// A new domain XML for a highly available VM (`vigil vm edit`).
public struct EditVMRequest: Codable, Sendable, Equatable {
    public var xml: String
    public init(xml: String) { self.xml = xml }
}

/// A highly available VM's configuration resource: its domain XML as stored on shared storage.
public struct VMConfigurationView: Codable, Sendable, Equatable {
    public var vm: String
    public var group: String
    /// The domain XML file on shared storage.
    public var path: String
    public var xml: String

    public init(vm: String, group: String, path: String, xml: String) {
        self.vm = vm
        self.group = group
        self.path = path
        self.xml = xml
    }
}
