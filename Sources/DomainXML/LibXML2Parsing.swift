internal import CLibXML2

/// Parsing and serializing whole documents with libxml2, one parser context per call (thread-safe).
enum LibXML2 {
    /// `xmlInitParser` must run once before libxml2 is used from several threads.
    private static let initialized: Bool = {
        xmlInitParser()
        return true
    }()

    /// Options for untrusted input: no network, no entity expansion, keep whitespace, report errors to us only.
    private static let parseOptions: Int32 = Int32(
        XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
            | XML_PARSE_BIG_LINES.rawValue)

    /// Parses `xml`; the caller owns the returned document and must `xmlFreeDoc` it.
    static func parse(_ xml: String) throws(DomainXMLError) -> xmlDocPtr {
        precondition(initialized)
        guard let context = xmlNewParserCtxt() else {
            throw .malformed(line: 0, column: 0, message: "libxml2 could not allocate a parser context")
        }
        defer { xmlFreeParserCtxt(context) }
        // Stop at the first error so that the context's last error is the first (most telling) one.
        context.pointee.sax.pointee.serror = { userData, error in
            guard let userData, let error, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
            xmlStopParser(userData.assumingMemoryBound(to: xmlParserCtxt.self))
        }
        let bytes = Array(xml.utf8)
        let document: xmlDocPtr? = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                xmlCtxtReadMemory(context, chars.baseAddress, Int32(chars.count), "domain.xml", "UTF-8", parseOptions)
            }
        }
        let wellFormed = context.pointee.wellFormed != 0
        if let document, wellFormed { return document }
        if let document { xmlFreeDoc(document) }
        throw malformedError(context)
    }

    /// The context's recorded error as a `DomainXMLError.malformed`.
    private static func malformedError(_ context: xmlParserCtxtPtr) -> DomainXMLError {
        guard let error = xmlCtxtGetLastError(context), error.pointee.code != 0 else {
            return .malformed(line: 0, column: 0, message: bytesEmptyMessage)
        }
        let message = error.pointee.message.map { String(cString: $0) } ?? "unknown libxml2 error \(error.pointee.code)"
        return .malformed(line: Int(error.pointee.line), column: Int(error.pointee.int2),
                          message: message.trimmingWhitespace())
    }

    private static let bytesEmptyMessage = "the document is empty or not XML"

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
