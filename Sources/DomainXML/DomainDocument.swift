internal import CLibXML2
import Foundation

/// An editable libvirt domain XML document that keeps everything it does not understand unchanged.
///
/// Owns its libxml2 document; not `Sendable` (use it from one task at a time, share `definition`).
public final class DomainDocument {
    let document: xmlDocPtr
    private let hasDeclaration: Bool

    /// The validated snapshot of the fields Vigil reads; kept up to date by the edit methods.
    public internal(set) var definition: DomainDefinition

    /// Parses and validates domain XML; throws `malformed` or `invalid` naming the line.
    public init(xml: String) throws(DomainXMLError) {
        let document = try LibXML2.parse(xml)
        guard let root = xmlDocGetRootElement(document) else {
            xmlFreeDoc(document)
            throw .malformed(line: 1, column: 0, message: "the document has no root element")
        }
        do {
            definition = try DomainDefinition(root: ElementView(node: root))
        } catch {
            xmlFreeDoc(document)
            throw error
        }
        self.document = document
        hasDeclaration = xml.trimmingWhitespace().hasPrefix("<?xml")
    }

    deinit { xmlFreeDoc(document) }

    /// The document as text: unknown elements, attributes and comments are kept as they were.
    public func serialized() -> String {
        LibXML2.serialize(document, declaration: hasDeclaration)
    }

    /// The `<domain>` element (validated at init, so always present).
    var root: ElementView {
        guard let node = xmlDocGetRootElement(document) else { preconditionFailure("validated document lost its root") }
        return ElementView(node: node)
    }

    /// Sets `<name>`; an empty or blank name is refused.
    public func setName(_ name: String) throws(DomainXMLError) {
        guard !name.trimmingWhitespace().isEmpty else { throw root.invalid("cannot be given an empty <name>") }
        setText(name, ofChild: "name")
        definition.name = name.trimmingWhitespace()  // as reading the XML again would give it
    }

    /// Sets `<uuid>`, adding it after `<name>` when absent.
    public func setUUID(_ uuid: UUID) {
        setText(uuid.libvirtString, ofChild: "uuid")
        definition.uuid = uuid
    }

    /// Replaces the text of the root's first child element `childName`, creating it after `<name>` if missing.
    private func setText(_ text: String, ofChild childName: String) {
        let existing = root.child(childName)?.node
        let element = existing ?? insertElement(childName, into: root.node, after: root.child("name")?.node)
        element.replaceText(with: text)
    }
}
