import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A document flattened to one line per node (path, name, namespace, sorted attributes, exact text),
/// read by Foundation's XML parser independently of DomainXML: equal lines mean equal trees.
struct XMLTree: Equatable {
    let lines: [String]

    /// With `ignoringIndentation`, whitespace-only text nodes are left out (to compare structure after inserts).
    init(_ xml: String, ignoringIndentation: Bool = false) throws {
        let document = try XMLDocument(xmlString: xml, options: [.nodePreserveWhitespace, .nodePreserveEmptyElements])
        var lines: [String] = []
        Self.append(document.children ?? [], path: "", skipBlank: ignoringIndentation, to: &lines)
        self.lines = lines
    }

    private static func append(_ nodes: [XMLNode], path: String, skipBlank: Bool, to lines: inout [String]) {
        var seen: [String: Int] = [:]
        for node in nodes {
            if skipBlank, node.kind == .text, (node.stringValue ?? "").allSatisfy(\.isWhitespace) { continue }
            let key: String
            switch node.kind {
            case .element: key = node.name ?? "?"
            case .text: key = "text()"
            case .comment: key = "comment()"
            case .processingInstruction: key = "pi()"
            default: key = "node()"
            }
            seen[key, default: 0] += 1
            let nodePath = "\(path)/\(key)[\(seen[key]!)]"
            if let element = node as? XMLElement {
                let attributes = (element.attributes ?? []).map { "\($0.name ?? "")=\($0.stringValue ?? "")" }.sorted()
                let namespaces = (element.namespaces ?? []).map { "xmlns:\($0.name ?? "")=\($0.stringValue ?? "")" }.sorted()
                lines.append("\(nodePath) uri=\(element.uri ?? "") \((attributes + namespaces).joined(separator: " "))")
                append(element.children ?? [], path: nodePath, skipBlank: skipBlank, to: &lines)
            } else {
                lines.append("\(nodePath) \(String(reflecting: node.stringValue ?? ""))")
            }
        }
    }

    /// Lines present in exactly one of the trees, marked "-" (only in self) or "+" (only in other).
    func differences(to other: XMLTree) -> [String] {
        let mine = Set(lines), theirs = Set(other.lines)
        return lines.filter { !theirs.contains($0) }.map { "- " + $0 }
            + other.lines.filter { !mine.contains($0) }.map { "+ " + $0 }
    }
}
