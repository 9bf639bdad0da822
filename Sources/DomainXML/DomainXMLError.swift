/// Why domain XML could not be parsed, read or edited; parse and validation errors name the line and the problem.
public enum DomainXMLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text is not well-formed XML (as reported by libxml2).
    case malformed(line: Int, column: Int, message: String)
    /// The XML is well-formed but is not a domain definition Vigil can use.
    case invalid(line: Int, problem: String)
    /// The document is larger than `DomainXMLLimits.maximumDocumentBytes`; refused before parsing.
    case tooLarge(bytes: Int, limit: Int)
    /// The document has more elements and attributes than `DomainXMLLimits.maximumMarkup`; refused before parsing.
    case tooManyNodes(markup: Int, limit: Int)
    /// The document has a `<!DOCTYPE>` (a DTD, where entities are declared); libvirt never writes one.
    case declarationRefused(line: Int)
    /// A Vigil metadata key that cannot be stored as an XML element name.
    case invalidMetadataKey(String)

    public var description: String {
        switch self {
        case let .malformed(line, column, message):
            return "malformed domain XML at line \(line), column \(column): \(message)"
        case let .invalid(line, problem):
            return "invalid domain XML at line \(line): \(problem)"
        case let .tooLarge(bytes, limit):
            return "domain XML of \(bytes) bytes refused: larger than the \(limit)-byte maximum (libvirt's own limit)"
        case let .tooManyNodes(markup, limit):
            return "domain XML refused: it has \(markup) '<' and '=' characters, more elements and attributes than the maximum of \(limit)"
        case let .declarationRefused(line):
            return "domain XML refused at line \(line): it has a <!DOCTYPE> declaration; libvirt never writes one, "
                + "and DTD entity declarations are how entity-expansion and external-entity attacks work (remove it)"
        case let .invalidMetadataKey(key):
            return "invalid Vigil metadata key \"\(key)\": use letters, digits, '-', '_' or '.', starting with a letter"
        }
    }
}
