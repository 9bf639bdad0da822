internal import CLibXML2

/// Vigil's own key/values inside `<metadata>`, in Vigil's namespace:
/// `<metadata><vigil:ha xmlns:vigil="https://vigil.dev/xmlns/ha/1"><vigil:group>web</vigil:group></vigil:ha>`.
public enum VigilMetadata {
    /// The namespace URI of Vigil's metadata element.
    public static let namespaceURI = "https://vigil.dev/xmlns/ha/1"
    /// The prefix Vigil writes (readers match on the URI, whatever prefix a document uses).
    public static let prefix = "vigil"
    /// The local name of Vigil's element under `<metadata>`.
    public static let elementName = "ha"

    /// Whether `key` can be stored as an element name: a letter, then letters, digits, '-', '_' or '.'.
    public static func isValidKey(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, first.isASCIILetter else { return false }
        return key.unicodeScalars.allSatisfy { $0.isASCIILetter || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) }
    }

    /// The `<vigil:ha>` element under the root's `<metadata>`, if present.
    static func element(in root: ElementView) -> ElementView? {
        root.child("metadata")?.allChildren.first { $0.namespaceURI == namespaceURI && $0.name == elementName }
    }

    /// The key/values stored in the document (empty when there are none).
    static func read(from root: ElementView) -> [String: String] {
        let entries = (element(in: root)?.allChildren ?? []).filter { $0.namespaceURI == namespaceURI }
        return Dictionary(entries.map { ($0.name, $0.text) }, uniquingKeysWith: { first, _ in first })
    }
}

private extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}

extension DomainDocument {
    /// Vigil's key/values from `<metadata><vigil:ha>`.
    public var vigilMetadata: [String: String] { definition.vigilMetadata }

    /// Sets (or, with nil, removes) one Vigil metadata key; other metadata is left untouched.
    public func setVigilMetadata(_ key: String, to value: String?) throws(DomainXMLError) {
        guard VigilMetadata.isValidKey(key) else { throw .invalidMetadataKey(key) }
        if let value {
            let container = vigilElement()
            let entries = ElementView(node: container).allChildren.filter { $0.namespaceURI == VigilMetadata.namespaceURI }
            let entry = entries.first { $0.name == key }?.node
                ?? insertElement(key, into: container, after: entries.last?.node, namespace: container.pointee.ns)
            entry.replaceText(with: value)
        } else if let container = VigilMetadata.element(in: root) {
            for entry in container.allChildren where entry.namespaceURI == VigilMetadata.namespaceURI && entry.name == key {
                removeElement(entry.node)
            }
            if container.allChildren.isEmpty { removeVigilMetadata() }
        }
        definition.vigilMetadata = VigilMetadata.read(from: root)
    }

    /// Removes Vigil's metadata element, and `<metadata>` too if nothing else is left in it.
    public func removeVigilMetadata() {
        guard let metadata = root.child("metadata") else { return }
        for element in metadata.allChildren
        where element.namespaceURI == VigilMetadata.namespaceURI && element.name == VigilMetadata.elementName {
            removeElement(element.node)
        }
        if metadata.allChildren.isEmpty && metadata.text.isEmpty { removeElement(metadata.node) }
        definition.vigilMetadata = [:]
    }

    /// The existing `<vigil:ha>` element, or a new one (creating `<metadata>` after name/uuid/title/description).
    private func vigilElement() -> xmlNodePtr {
        if let existing = VigilMetadata.element(in: root) { return existing.node }
        let metadata = root.child("metadata")?.node ?? insertElement(
            "metadata", into: root.node,
            after: ["description", "title", "genid", "uuid", "name"].lazy.compactMap { self.root.child($0)?.node }.first)
        let anchor = ElementView(node: metadata).allChildren.last?.node
        let container = insertElement(VigilMetadata.elementName, into: metadata, after: anchor)
        let namespace = VigilMetadata.namespaceURI.withXMLChars { href in
            VigilMetadata.prefix.withXMLChars { prefix in xmlNewNs(container, href, prefix) }
        }
        xmlSetNs(container, namespace)
        return container
    }
}
