internal import CLibXML2

extension DomainDocument {
    /// Creates element `name` (in `namespace`, if given) inside `parent`, after `anchor` or else first,
    /// copying the surrounding indentation so the serialized document stays readable.
    @discardableResult
    func insertElement(_ name: String, into parent: xmlNodePtr, after anchor: xmlNodePtr?,
                       namespace: xmlNsPtr? = nil) -> xmlNodePtr {
        guard let element = name.withXMLChars({ xmlNewDocNode(document, namespace, $0, nil) }) else {
            preconditionFailure("libxml2 could not allocate an element")
        }
        let firstElement = ElementView(node: parent).allChildren.first?.node
        if let anchor {
            xmlAddNextSibling(anchor, element)
            if let indent = anchor.whitespaceBefore { xmlAddPrevSibling(element, newText(indent)) }
        } else if let firstElement {
            xmlAddPrevSibling(firstElement, element)
            if let indent = firstElement.whitespaceBefore { xmlAddNextSibling(element, newText(indent)) }
        } else if parent.pointee.children == nil, let outer = parent.whitespaceBefore {
            xmlAddChild(parent, newText(outer + "  "))
            xmlAddChild(parent, element)
            xmlAddChild(parent, newText(outer))
        } else {
            xmlAddChild(parent, element)
        }
        return element
    }

    /// A new text node owned by this document.
    private func newText(_ text: String) -> xmlNodePtr {
        guard let node = text.withXMLChars({ xmlNewDocText(document, $0) }) else {
            preconditionFailure("libxml2 could not allocate a text node")
        }
        return node
    }

    /// Unlinks and frees `node`, together with the whitespace that indented it.
    func removeElement(_ node: xmlNodePtr) {
        if let previous = node.pointee.prev, node.whitespaceBefore != nil {
            xmlUnlinkNode(previous)
            xmlFreeNode(previous)
        }
        xmlUnlinkNode(node)
        xmlFreeNode(node)
    }
}

extension UnsafeMutablePointer where Pointee == xmlNode {
    /// The whitespace-only text node right before this node, if there is one.
    var whitespaceBefore: String? {
        guard let previous = pointee.prev, previous.pointee.type == XML_TEXT_NODE,
              let content = previous.pointee.content else { return nil }
        let text = String(cString: content)
        return text.trimmingWhitespace().isEmpty ? text : nil
    }

    /// Replaces all children with one text node holding `text` literally (escaped on output).
    func replaceText(with text: String) {
        xmlNodeSetContent(self, nil)
        text.withXMLChars { xmlNodeAddContent(self, $0) }
    }
}
