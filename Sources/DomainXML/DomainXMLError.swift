/// Why domain XML could not be parsed, read or edited; parse and validation errors name the line and the problem.
public enum DomainXMLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text is not well-formed XML (as reported by libxml2).
    case malformed(line: Int, column: Int, message: String)
    /// The XML is well-formed but is not a domain definition Vigil can use.
    case invalid(line: Int, problem: String)
    /// A Vigil metadata key that cannot be stored as an XML element name.
    case invalidMetadataKey(String)

    public var description: String {
        switch self {
        case let .malformed(line, column, message):
            return "malformed domain XML at line \(line), column \(column): \(message)"
        case let .invalid(line, problem):
            return "invalid domain XML at line \(line): \(problem)"
        case let .invalidMetadataKey(key):
            return "invalid Vigil metadata key \"\(key)\": use letters, digits, '-', '_' or '.', starting with a letter"
        }
    }
}
