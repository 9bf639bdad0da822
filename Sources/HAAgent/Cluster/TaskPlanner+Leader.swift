import Foundation
import HACore

extension TaskPlanner {
    /// Plans one directive; a task it gives a node gets a fresh random id.
    public static func plan(_ directive: Directive) -> DirectivePlan {
        plan(directive, taskID: UUID().uuidString.lowercased())
    }
}
