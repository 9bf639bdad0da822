import Foundation
import XCTest

/// Store keys are spelled in one place: no source file outside `Sources/ClusterSchema` writes a
/// literal that starts a store key (`"groups/..."`, `"nodes/"`, `"coordinator/..."`, the etcd root).
/// A key built by interpolation alone escapes this check; the schema's typed families make that the
/// harder way to write one.
final class StoreKeySpellingTests: XCTestCase {
    func testNoStoreKeyIsSpelledOutsideTheSchema() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let key = try NSRegularExpression(pattern: #""(nodes|agents|groups|tasks|inbox|coordinator|owners|leader)/|"/vigil/"#)
        var found: [String] = []
        let files = try XCTUnwrap(FileManager.default.enumerator(atPath: sources.path))
        var scanned = 0
        for case let path as String in files where path.hasSuffix(".swift") && !path.hasPrefix("ClusterSchema/") {
            scanned += 1
            let text = try String(contentsOf: sources.appendingPathComponent(path), encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = String(line)
                if key.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil { found.append("Sources/\(path):\(n + 1): \(line)") }
            }
        }
        XCTAssertGreaterThan(scanned, 100, "the sources were found")
        XCTAssertEqual(found, [], "store keys belong in Sources/ClusterSchema/ClusterKeys.swift")
    }
}
