internal import CLibXML2

/// A borrowed view of one libxml2 element node; valid only while its document is alive.
struct ElementView {
    let node: xmlNodePtr

    /// The element's local name.
    var name: String { String(cString: node.pointee.name) }

    /// The 1-based line of the element's start tag.
    var line: Int { Int(xmlGetLineNo(node)) }

    /// The namespace URI, or nil for libvirt's own (unqualified) elements.
    var namespaceURI: String? { node.pointee.ns?.pointee.href.map { String(cString: $0) } }

    /// The value of an attribute without a namespace.
    func attribute(_ attributeName: String) -> String? {
        guard let value = attributeName.withXMLChars({ xmlGetNoNsProp(node, $0) }) else { return nil }
        defer { vigil_xmlFree(value) }
        return String(cString: value)
    }

    /// All element children, in document order, whatever their namespace.
    var allChildren: [ElementView] {
        var result: [ElementView] = []
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE { result.append(ElementView(node: current)) }
            child = current.pointee.next
        }
        return result
    }

    /// The unqualified element children called `childName`.
    func children(_ childName: String) -> [ElementView] {
        allChildren.filter { $0.namespaceURI == nil && $0.name == childName }
    }

    /// The first unqualified element child called `childName`.
    func child(_ childName: String) -> ElementView? { children(childName).first }

    /// The text content with surrounding whitespace removed.
    var text: String {
        guard let content = xmlNodeGetContent(node) else { return "" }
        defer { vigil_xmlFree(content) }
        return String(cString: content).trimmingWhitespace()
    }

    /// An `invalid` error that names this element and its line.
    func invalid(_ problem: String) -> DomainXMLError {
        .invalid(line: line, problem: "<\(name)> \(problem)")
    }

    /// The attribute's value, or an error naming the element when it is missing or empty.
    func requiredAttribute(_ attributeName: String) throws(DomainXMLError) -> String {
        guard let value = attribute(attributeName), !value.isEmpty else {
            throw invalid("has no \(attributeName) attribute")
        }
        return value
    }

    /// An optional non-negative integer attribute.
    func integerAttribute(_ attributeName: String) throws(DomainXMLError) -> Int? {
        guard let raw = attribute(attributeName) else { return nil }
        guard let value = Int(raw.trimmingWhitespace()), value >= 0 else {
            throw invalid("has a \(attributeName) attribute that is not a non-negative integer: \"\(raw)\"")
        }
        return value
    }

    /// An enum-valued attribute: nil when absent, an error naming the allowed values when unknown.
    func enumAttribute<T: RawRepresentable & CaseIterable>(_ attributeName: String, as type: T.Type)
        throws(DomainXMLError) -> T? where T.RawValue == String
    {
        guard let raw = attribute(attributeName) else { return nil }
        guard let value = T(rawValue: raw) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw invalid("has an unsupported \(attributeName) \"\(raw)\" (supported: \(allowed))")
        }
        return value
    }
}
