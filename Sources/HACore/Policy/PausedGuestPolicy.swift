/// What a node does with an HA guest that QEMU paused on a disk I/O error (oVirt's resume
/// behaviour). A guest paused by an operator or by a migration is none of this.
public enum PausedGuestPolicy: String, Hashable, Codable, Sendable, CaseIterable {
    /// Resume it every few seconds while the grace lasts (the error may be brief: an NFS server
    /// failing over); still paused after the grace, it has failed (restart, then failover).
    case autoResume = "auto-resume"
    /// Leave it paused for an operator, never counted as failed (the node warns once).
    case leavePaused = "leave-paused"
    /// It has failed at once: the restart or failover that follows powers it off.
    case powerOff = "power-off"

    /// For a group that names none.
    public static let `default` = PausedGuestPolicy.autoResume

    /// Parses the form the CLI takes (`auto-resume`, `leave-paused`, `power-off`).
    public init(text: String) throws(PolicyTextError) {
        guard let policy = PausedGuestPolicy(rawValue: text) else {
            throw PolicyTextError("bad paused-guest behaviour '\(text)' (use \(Self.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = policy
    }
}
