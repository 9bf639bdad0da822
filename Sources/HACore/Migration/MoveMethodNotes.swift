extension GroupDefinition {
    /// Why each move method the group does not allow is ruled out, one line per method, naming the
    /// resources that rule it out (empty when every method is allowed). Status shows it next to the
    /// allowed methods (`moveLadder`).
    public var moveMethodNotes: [String] {
        MoveMethod.allCases.filter { !moveLadder.contains($0) }.map { method in
            let blockers = resources.filter { !$0.moveMethods.contains(method) }.map { resource -> String in
                if case .storage(.exclusive) = resource.kind {
                    return "storage \(resource.id) is exclusive (mounted on its owner only, so the target cannot open the disks while the source runs)"
                }
                return "VM \(resource.id) does not allow it"
            }
            return "\(method.rawValue): not allowed: " + blockers.joined(separator: "; ")
        }
    }
}
