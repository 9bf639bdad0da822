import HACore

/// A highly available VM's domain XML as Vigil last wrote or accepted it (`vm add`, `vm edit`, an
/// agent's write-back): the file, its SHA-256, when and by what. The status compares the file on
/// shared storage with it, so that an edit made behind Vigil's back (unchecked by the wizard) shows
/// as an alert before the VM's next start uses it.
public struct ConfigurationRecord: Codable, Sendable, Equatable {
    /// The domain XML file on shared storage.
    public var path: String
    /// Lower-case hex SHA-256 of the file's bytes.
    public var sha256: String
    public var at: Timestamp
    /// What wrote or accepted it ("vm add", "vm edit", "write-back on h1").
    public var by: String

    public init(path: String, sha256: String, at: Timestamp, by: String) {
        self.path = path
        self.sha256 = sha256
        self.at = at
        self.by = by
    }
}
