/// The bounds DomainXML puts on untrusted input.
public enum DomainXMLLimits {
    /// The largest domain XML accepted, in bytes (UTF-8): 4 MiB, libvirt's own bound on a string in
    /// its remote protocol (REMOTE_STRING_MAX), so no domain libvirt can hand out is larger.
    public static let maximumDocumentBytes = 4 * 1024 * 1024

    /// The most elements and attributes a document may have, counted before parsing as its '<' and '='
    /// characters (each starts at most one): 100 000, far above any real domain (a few hundred) and low
    /// enough that the parsed tree of a document at `maximumDocumentBytes` stays within tens of MiB
    /// (a million empty elements in 4 MiB would take libxml2 about 170 MiB).
    public static let maximumMarkup = 100_000
}
