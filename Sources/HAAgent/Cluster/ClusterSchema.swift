import Foundation
import HACore

/// The keys Vigil's agents keep in the coordination store, relative to the cluster prefix.
///
/// - `nodes/<node>`: membership record, bound to the node's lease (HACoordination).
/// - `leader`: the elected coordinator, bound to its lease; its create revision is the fencing token.
/// - `agents/<node>`: how other hosts reach this one (live migration URI).
/// - `groups/<group>`: a group's definition and storage bindings (written by the API).
/// - `coordinator/nodes`, `coordinator/groups/<group>`, `coordinator/leaseLosses`, `coordinator/wakeups`:
///   the coordinator's snapshot (`StoredCoordinator`), written with the fencing token.
/// - `tasks/<node>/<group>`: work the leader gives a node (written with the fencing token).
/// - `inbox/<id>`: events and task reports from nodes and operators, consumed by the leader.
/// - `decisions/<time>-<leader>-<sequence>`: the coordinator's decisions (`DecisionRecord`), oldest
///   first by key, written in the same fenced transaction as the decisions themselves.
public enum ClusterKeys {
    public static let groups = "groups/"
    public static let agents = "agents/"
    public static let tasks = "tasks/"
    public static let inbox = "inbox/"
    public static let leader = "leader"
    public static let decisions = "decisions/"

    public static func group(_ id: GroupID) -> String { groups + id.rawValue }
    public static func agent(_ node: NodeID) -> String { agents + node.rawValue }
    public static func tasks(of node: NodeID) -> String { "\(tasks)\(node.rawValue)/" }
    public static func task(_ node: NodeID, _ group: GroupID) -> String { tasks(of: node) + group.rawValue }
    public static func inbox(_ id: String) -> String { inbox + id }
    /// Zero-padded so that keys sort by time, then by leader and its sequence.
    public static func decision(at time: Timestamp, leader: NodeID, sequence: Int) -> String {
        decisions + String(repeating: "0", count: max(0, 13 - String(time.milliseconds).count)) + "\(time.milliseconds)-\(leader.rawValue)-"
            + String(repeating: "0", count: max(0, 8 - String(sequence).count)) + "\(sequence)"
    }
}

/// A group as stored: what the coordinator needs, and how hosts bind its storage resources.
public struct GroupSpec: Codable, Sendable, Equatable {
    public var definition: GroupDefinition
    /// Device and mount point (exclusive) or path (shared) of each storage resource.
    public var storage: [String: StorageResource]

    public init(definition: GroupDefinition, storage: [String: StorageResource] = [:]) {
        self.definition = definition
        self.storage = storage
    }

    /// Storage bindings keyed by resource.
    public var storageBindings: StorageBindings {
        Dictionary(uniqueKeysWithValues: storage.map { (ResourceID($0.key), $0.value) })
    }

    /// The domain XML path of the configuration resource a VM resource depends on.
    public func configurationPath(of vm: ResourceID) -> String? {
        for dependency in definition.dependencies[vm, default: []].sorted() {
            if case .vmConfiguration(let path)? = definition.resources.first(where: { $0.id == dependency })?.kind { return path }
        }
        return nil
    }

    /// The domain names of the group's VMs.
    public var domainNames: [String] {
        definition.vms.compactMap { if case .virtualMachine(let d, _, _, _) = $0.kind { d } else { nil } }
    }
}

/// How another host reaches this one.
public struct AgentRecord: Codable, Sendable, Equatable {
    public var node: NodeID
    /// libvirt URI other hosts' libvirtd use for peer-to-peer live migration to this host.
    public var migrationURI: String
    /// What the host offers VMs (absent from agents that could not read it).
    public var profile: HostProfile?
    /// How long after this host's lease expired its armed watchdog has certainly reset it, seconds
    /// (its timeout, less what its pet window keeps before the expiry; see `WatchdogPetting`); nil
    /// when it has none. Lease expiry plus this long means the host was reset or self-fenced.
    /// Stored under the key older agents wrote their watchdog's timeout with: the same bound for them.
    public var watchdogResetSeconds: Double?
    /// `host:port` where this agent takes peer heartbeats; nil when it runs none (or an older agent
    /// wrote the record).
    public var heartbeatAddress: String?

    public init(node: NodeID, migrationURI: String, profile: HostProfile? = nil, watchdogResetSeconds: Double? = nil,
                heartbeatAddress: String? = nil) {
        self.node = node
        self.migrationURI = migrationURI
        self.profile = profile
        self.watchdogResetSeconds = watchdogResetSeconds
        self.heartbeatAddress = heartbeatAddress
    }

    enum CodingKeys: String, CodingKey {
        case node, migrationURI, profile, heartbeatAddress
        case watchdogResetSeconds = "watchdogTimeoutSeconds"
    }
}

extension AgentTask {
    /// A task with a fresh random id.
    public init(group: GroupID, node: NodeID, step: Step, reason: String) {
        self.init(id: UUID().uuidString.lowercased(), group: group, node: node, step: step, reason: reason)
    }
}

/// A message to the leader: an observed event, or a finished task.
public struct InboxMessage: Codable, Sendable, Equatable {
    public enum Body: Codable, Sendable, Equatable {
        case event(ClusterEvent)
        case taskDone(TaskReport)
    }

    public var id: String
    /// Who sent it: a node, or "api" for an operator.
    public var sender: String
    public var body: Body

    public init(id: String = UUID().uuidString.lowercased(), sender: String, body: Body) {
        self.id = id
        self.sender = sender
        self.body = body
    }
}

/// JSON encoding of stored values (sorted keys, so equal values store equal bytes).
public enum StoreCoding {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value))
    }

    public static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], key: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch {
            throw StoredValueError(key: key, problem: "\(error)")
        }
    }
}

/// A stored value that cannot be decoded: names the key.
public struct StoredValueError: Error, Sendable, CustomStringConvertible {
    public let key: String
    public let problem: String
    public var description: String { "stored value at \(key) is unreadable: \(problem)" }
}
