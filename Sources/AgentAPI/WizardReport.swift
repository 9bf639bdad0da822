/// The HA wizard's report (`vm add`): what concerns the VM wherever it runs, and each possible
/// owner's verdict; in the check's `Accepted` and in a refusal's `APIError`.
public struct WizardReport: Codable, Sendable, Equatable {
    /// One possible owner: what stops the VM there (none: it can host it) and what was not checked there.
    public struct Owner: Codable, Sendable, Equatable {
        public var node: String
        public var problems: [String]
        public var warnings: [String]

        public init(node: String, problems: [String], warnings: [String]) {
            self.node = node
            self.problems = problems
            self.warnings = warnings
        }
    }

    /// Warnings about the VM on every owner alike (CPUs that differ between owners, devices that pin it).
    public var warnings: [String]
    /// Every possible owner, by name.
    public var owners: [Owner]

    public init(warnings: [String], owners: [Owner]) {
        self.warnings = warnings
        self.owners = owners
    }
}
