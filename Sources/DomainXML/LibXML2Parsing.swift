internal import CLibXML2

/// Parsing and serializing whole documents with libxml2, one parser context per call (thread-safe).
enum LibXML2 {
    /// `xmlInitParser` must run once before libxml2 is used from several threads.
    private static let initialized: Bool = {
        xmlInitParser()
        return true
    }()

    /// Options for untrusted input: no network, no entity substitution, no DTD loading (none of
    /// XML_PARSE_NOENT, XML_PARSE_DTDLOAD, XML_PARSE_HUGE), keep whitespace, report errors to us only.
    private static let parseOptions: Int32 = Int32(
        XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
            | XML_PARSE_BIG_LINES.rawValue)

    /// Parses `xml`; the caller owns the returned document and must `xmlFreeDoc` it.
    ///
    /// A document over `DomainXMLLimits.maximumDocumentBytes`, or with more elements and attributes than
    /// `DomainXMLLimits.maximumMarkup`, is refused before libxml2 sees it (bounding the tree's memory), and
    /// a `<!DOCTYPE` is refused the moment libxml2 reads it, before any entity it declares exists:
    /// libvirt never writes either, and entity declarations are what "billion laughs", quadratic
    /// blow-up and external-entity (file://) attacks are made of.
    /// Parses `xml` and hands `body` its root element, which must be `<expected>`; frees the document after.
    static func withRoot<T>(_ xml: String, expected: String, _ body: (ElementView) throws(DomainXMLError) -> T) throws(DomainXMLError) -> T {
        let document = try parse(xml)
        defer { xmlFreeDoc(document) }
        guard let rootNode = xmlDocGetRootElement(document) else {
            throw .malformed(line: 1, column: 0, message: "the document has no root element")
        }
        let root = ElementView(node: rootNode)
        guard root.name == expected else { throw root.invalid("is the root element; expected <\(expected)>") }
        return try body(root)
    }

    static func parse(_ xml: String) throws(DomainXMLError) -> xmlDocPtr {
        precondition(initialized)
        let byteCount = xml.utf8.count
        guard byteCount <= DomainXMLLimits.maximumDocumentBytes else {
            throw .tooLarge(bytes: byteCount, limit: DomainXMLLimits.maximumDocumentBytes)
        }
        let bytes = Array(xml.utf8)
        let markup = bytes.reduce(into: 0) { count, byte in if byte == UInt8(ascii: "<") || byte == UInt8(ascii: "=") { count += 1 } }
        guard markup <= DomainXMLLimits.maximumMarkup else {
            throw .tooManyNodes(markup: markup, limit: DomainXMLLimits.maximumMarkup)
        }
        guard let context = xmlNewParserCtxt() else {
            throw .malformed(line: 0, column: 0, message: "libxml2 could not allocate a parser context")
        }
        defer { xmlFreeParserCtxt(context) }
        let recorder = FirstErrorRecorder()
        context.pointee._private = Unmanaged.passUnretained(recorder).toOpaque()
        // Record the first error; libxml2 stops building the tree after a fatal one by itself (calling
        // xmlStopParser here hung the parser inside its own entity-loop protection).
        context.pointee.sax.pointee.serror = { userData, error in
            guard let userData, let error, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
            FirstErrorRecorder.of(userData.assumingMemoryBound(to: xmlParserCtxt.self))?.record(error.pointee)
        }
        // Called for every <!DOCTYPE ...>, before its internal subset (where entities are declared) is read.
        context.pointee.sax.pointee.internalSubset = { userData, _, _, _ in
            guard let userData else { return }
            let context = userData.assumingMemoryBound(to: xmlParserCtxt.self)
            FirstErrorRecorder.of(context)?.refuseDoctype(line: Int(xmlSAX2GetLineNumber(context)))
            xmlStopParser(context)
        }
        let document: xmlDocPtr? = withExtendedLifetime(recorder) {
            bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    xmlCtxtReadMemory(context, chars.baseAddress, Int32(chars.count), "domain.xml", "UTF-8", parseOptions)
                }
            }
        }
        if let document, context.pointee.wellFormed != 0, recorder.first == nil { return document }
        if let document { xmlFreeDoc(document) }
        throw recorder.first
            ?? .malformed(line: 1, column: 0, message: "libxml2 rejected the document without saying why")
    }

    /// Serializes `document` as UTF-8 text, with or without the `<?xml ...?>` declaration.
    static func serialize(_ document: xmlDocPtr, declaration: Bool) -> String {
        guard let buffer = xmlBufferCreate() else { preconditionFailure("libxml2 could not allocate a buffer") }
        defer { xmlBufferFree(buffer) }
        let options = declaration ? 0 : Int32(XML_SAVE_NO_DECL.rawValue)
        guard let saver = xmlSaveToBuffer(buffer, "UTF-8", options) else {
            preconditionFailure("libxml2 could not create a save context")
        }
        xmlSaveDoc(saver, document)
        xmlSaveClose(saver)
        guard let content = xmlBufferContent(buffer) else { return "" }
        return String(cString: content)
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }

    /// Calls `body` with the string as a NUL-terminated `xmlChar` pointer.
    func withXMLChars<R>(_ body: (UnsafePointer<xmlChar>) -> R) -> R {
        withCString { $0.withMemoryRebound(to: xmlChar.self, capacity: utf8.count + 1, body) }
    }
}

/// Keeps the first error libxml2 reports for one parse; used only on the parsing thread.
private final class FirstErrorRecorder {
    private(set) var first: DomainXMLError?

    /// The recorder a parse attached to its context.
    static func of(_ context: xmlParserCtxtPtr) -> FirstErrorRecorder? {
        context.pointee._private.map { Unmanaged<FirstErrorRecorder>.fromOpaque($0).takeUnretainedValue() }
    }

    func record(_ error: xmlError) {
        guard first == nil else { return }
        let message = error.message.map { String(cString: $0) } ?? "libxml2 error \(error.code)"
        first = .malformed(line: Int(error.line), column: Int(error.int2), message: message.trimmingWhitespace())
    }

    func refuseDoctype(line: Int) {
        guard first == nil else { return }
        first = .declarationRefused(line: line)
    }
}
