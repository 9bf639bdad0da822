import DomainXML
import Foundation
import Testing

/// Attacks on the parser. Each runs in vigil-xml-parse-helper, a child process with CPU and memory
/// limits, so that a regressed guard fails the test instead of hanging the run or exhausting memory.
@Suite("Hostile XML") struct HostileXMLTests {
    /// Peak resident memory allowed for refusing an attack (the helper's own baseline is far below).
    static let memoryBoundKiB = 100 * 1024

    /// A small valid domain around `name`'s content, after `prolog`.
    static func domain(prolog: String, name: String) -> String {
        "<?xml version=\"1.0\"?>\n\(prolog)\n<domain type='kvm'><name>\(name)</name><memory>1024</memory></domain>\n"
    }

    /// Ten entities, each ten of the previous: 10^10 "lol"s (30 GB) from under 1 KB of text.
    static let billionLaughs: String = {
        var entities = [#"<!ENTITY lol0 "lol">"#]
        for level in 1...10 {
            entities.append("<!ENTITY lol\(level) \"\(String(repeating: "&lol\(level - 1);", count: 10))\">")
        }
        return domain(prolog: "<!DOCTYPE domain [\n\(entities.joined(separator: "\n"))\n]>", name: "&lol10;")
    }()

    /// One 40 000-character entity referenced 40 000 times: about 160 KB of text, 1.6 GB expanded,
    /// under every nesting limit libxml2 has.
    static let quadraticBlowup: String = {
        let entity = "<!ENTITY a \"\(String(repeating: "x", count: 40_000))\">"
        return domain(prolog: "<!DOCTYPE domain [\(entity)]>", name: String(repeating: "&a;", count: 40_000))
    }()

    /// The attacks by name (test arguments are the names, so a report does not print 160 KB).
    static let attacks: KeyValuePairs = [
        "billion laughs": billionLaughs,
        "quadratic blow-up": quadraticBlowup,
        "external entity": domain(prolog: #"<!DOCTYPE domain [<!ENTITY pw SYSTEM "file:///etc/passwd">]>"#, name: "&pw;"),
        "external parameter entity": domain(prolog: #"<!DOCTYPE domain [<!ENTITY % pw SYSTEM "file:///etc/passwd"> %pw;]>"#, name: "x"),
        "external DTD": domain(prolog: #"<!DOCTYPE domain SYSTEM "file:///etc/passwd">"#, name: "x"),
        "network DTD": domain(prolog: #"<!DOCTYPE domain PUBLIC "-//x//y" "http://127.0.0.1:9/domain.dtd">"#, name: "x"),
    ]

    @Test("hostile documents are refused for their DOCTYPE, in bounded memory", arguments: attacks.map(\.key))
    func refused(attack: String) async throws {
        let xml = try #require(Self.attacks.first { $0.key == attack }?.value)
        #expect(xml.utf8.count < 200_000, "keep the attack input small")
        let outcome = try await ParseHelper.parse(xml)
        #expect(outcome.verdict == "refused \(DomainXMLError.declarationRefused(line: 2))", "\(attack)")
        #expect(outcome.peakResidentKiB < Self.memoryBoundKiB, "\(attack): peak \(outcome.peakResidentKiB) KiB")
    }

    @Test("an external entity is never read: a file's content cannot reach the definition")
    func externalFileNotRead() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-xxe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let secret = directory.appendingPathComponent("secret")
        try "vigil-secret-marker".write(to: secret, atomically: true, encoding: .utf8)
        let xml = Self.domain(prolog: "<!DOCTYPE domain [<!ENTITY s SYSTEM \"\(secret.absoluteString)\">]>", name: "&s;")
        let outcome = try await ParseHelper.parse(xml)
        #expect(outcome.verdict.hasPrefix("refused "))
        #expect(!outcome.verdict.contains("vigil-secret-marker"))
        // In this process too: the refusal comes before anything is resolved.
        #expect(throws: DomainXMLError.declarationRefused(line: 2)) { try DomainDocument(xml: xml) }
    }

    @Test("the helper accepts a plain domain, so its refusals above mean something")
    func helperAccepts() async throws {
        let outcome = try await ParseHelper.parse(Self.domain(prolog: "<!-- no DOCTYPE -->", name: "plain"))
        #expect(outcome.verdict == "accepted plain")
        #expect(outcome.peakResidentKiB < Self.memoryBoundKiB)
    }

    @Test("a DOCTYPE is refused wherever it appears in the prolog, naming its line")
    func doctypeLine() {
        let xml = "<!-- a comment\n-->\n<?pi x?>\n<!DOCTYPE domain>\n<domain type='kvm'><name>x</name><memory>1</memory></domain>"
        let error = #expect(throws: DomainXMLError.self) { try DomainDocument(xml: xml) }
        #expect(error == .declarationRefused(line: 4))
        #expect(error?.description.contains("<!DOCTYPE>") == true)
    }

    @Test("an entity reference without a DOCTYPE stays a malformed-XML error")
    func undeclaredEntity() {
        #expect(throws: DomainXMLError.self) {
            try DomainDocument(xml: "<domain type='kvm'><name>&lol9;</name><memory>1</memory></domain>")
        }
    }

    /// `count` copies of `element` inside `<devices>`.
    static func many(_ element: String, _ count: Int) -> String {
        "<domain type='kvm'><name>x</name><memory>1</memory><devices>\(String(repeating: element, count: count))</devices></domain>"
    }

    @Test("a million tiny elements in 4 MiB are refused before parsing, in bounded memory")
    func tooManyElements() async throws {
        let xml = Self.many("<x/>", 1_000_000)
        #expect(xml.utf8.count <= DomainXMLLimits.maximumDocumentBytes)
        let outcome = try await ParseHelper.parse(xml)
        #expect(outcome.verdict == "refused \(DomainXMLError.tooManyNodes(markup: 1_000_009, limit: DomainXMLLimits.maximumMarkup))")
        #expect(outcome.peakResidentKiB < Self.memoryBoundKiB, "peak \(outcome.peakResidentKiB) KiB")
        let attributes = "<domain type='kvm' " + (0..<200_000).map { "a\($0)=''" }.joined(separator: " ") + "/>"
        #expect(throws: DomainXMLError.tooManyNodes(markup: 200_002, limit: DomainXMLLimits.maximumMarkup)) {
            try DomainDocument(xml: attributes)
        }
    }

    @Test("the most elements allowed parse, in bounded memory")
    func elementsAtTheLimit() async throws {
        // The frame has 9 '<' and '=' (7 before the elements, 2 after); each <x/> one more.
        let outcome = try await ParseHelper.parse(Self.many("<x/>", DomainXMLLimits.maximumMarkup - 9))
        #expect(outcome.verdict == "accepted x")
        #expect(outcome.peakResidentKiB < Self.memoryBoundKiB, "peak \(outcome.peakResidentKiB) KiB")
    }

    @Test("nesting deeper than libxml2's limit (256) is malformed, not a stack overflow")
    func deepNesting() {
        let xml = "<domain type='kvm'><name>x</name><memory>1</memory>" + String(repeating: "<a>", count: 20_000)
            + String(repeating: "</a>", count: 20_000) + "</domain>"
        let error = #expect(throws: DomainXMLError.self) { try DomainDocument(xml: xml) }
        guard case let .malformed(_, _, message) = error else {
            Issue.record("expected .malformed, got \(String(describing: error))")
            return
        }
        #expect(message.contains("Excessive depth"), "\(message)")
    }

    @Test("a document over the maximum size is refused before parsing; one at the maximum parses")
    func sizeLimit() throws {
        let frame = "<domain type='kvm'><name>x</name><memory>1</memory><!--" as String
        let end = "--></domain>"
        let filler = DomainXMLLimits.maximumDocumentBytes - frame.utf8.count - end.utf8.count
        let atLimit = frame + String(repeating: "-x", count: filler / 2) + String(repeating: " ", count: filler % 2) + end
        #expect(atLimit.utf8.count == DomainXMLLimits.maximumDocumentBytes)
        #expect(try DomainDocument(xml: atLimit).definition.name == "x")
        let over = atLimit.replacingOccurrences(of: "<!--", with: "<!-- ")
        let error = #expect(throws: DomainXMLError.self) { try DomainDocument(xml: over) }
        #expect(error == .tooLarge(bytes: DomainXMLLimits.maximumDocumentBytes + 1, limit: DomainXMLLimits.maximumDocumentBytes))
        #expect(error?.description.contains("4194304-byte maximum") == true)
    }
}
