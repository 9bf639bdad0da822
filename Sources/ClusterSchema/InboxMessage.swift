import Foundation
import HACore

/// A message to the leader: an observed event, or a finished task (`TaskReport`, a HACore type,
/// as `AgentTask` is: the node instance and the coordinator decide with them; stored as JSON here).
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

extension AgentTask {
    /// A task with a fresh random id.
    public init(group: GroupID, node: NodeID, step: Step, reason: String) {
        self.init(id: UUID().uuidString.lowercased(), group: group, node: node, step: step, reason: reason)
    }
}
