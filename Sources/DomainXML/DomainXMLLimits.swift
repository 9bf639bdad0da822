/// The bounds DomainXML puts on untrusted input.
public enum DomainXMLLimits {
    /// The largest domain XML accepted, in bytes (UTF-8): 4 MiB, libvirt's own bound on a string in
    /// its remote protocol (REMOTE_STRING_MAX), so no domain libvirt can hand out is larger.
    public static let maximumDocumentBytes = 4 * 1024 * 1024
}
