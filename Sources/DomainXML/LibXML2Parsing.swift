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
        let bytes = Array(xml.utf8)
        guard bytes.count < Int32.max else {
            throw .malformed(line: 0, column: 0, message: "the document is larger than libxml2 can parse (2 GiB)")
        }
        guard let context = xmlNewParserCtxt() else {
            throw .malformed(line: 0, column: 0, message: "libxml2 could not allocate a parser context")
        }
        defer { xmlFreeParserCtxt(context) }
        // Record the first error (libxml2 may add follow-up errors) and stop parsing there.
        let recorder = FirstErrorRecorder()
        context.pointee._private = Unmanaged.passUnretained(recorder).toOpaque()
        context.pointee.sax.pointee.serror = { userData, error in
            guard let userData, let error, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
            let context = userData.assumingMemoryBound(to: xmlParserCtxt.self)
            if let recorderPointer = context.pointee._private {
                Unmanaged<FirstErrorRecorder>.fromOpaque(recorderPointer).takeUnretainedValue().record(error.pointee)
            }
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

    func record(_ error: xmlError) {
        guard first == nil else { return }
        let message = error.message.map { String(cString: $0) } ?? "libxml2 error \(error.code)"
        first = .malformed(line: Int(error.line), column: Int(error.int2), message: message.trimmingWhitespace())
    }
}
