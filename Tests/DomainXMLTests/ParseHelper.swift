import Foundation

/// Runs vigil-xml-parse-helper (a child process under CPU and memory limits) on one document.
enum ParseHelper {
    /// What the helper printed: the parse outcome and its peak resident memory.
    struct Outcome {
        /// "accepted <name>" or "refused <error description>".
        let verdict: String
        let peakResidentKiB: Int
    }

    /// Parses `xml` in the helper; throws when the helper cannot run or dies (e.g. killed by its limits).
    /// Waits on a thread of its own: a wait on the cooperative pool would stall every other test
    /// running meanwhile (a lease renewal among them) for as long as the helper runs.
    static func parse(_ xml: String) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try parseWaiting(xml) }) }
        }
    }

    private static func parseWaiting(_ xml: String) throws -> Outcome {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-xml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("domain.xml")
        try xml.write(to: file, atomically: false, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path())
        process.arguments = [file.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw ToolFailure(message: "vigil-xml-parse-helper did not finish the parse: "
                              + "\(process.terminationReason == .uncaughtSignal ? "killed by signal" : "exit status") "
                              + "\(process.terminationStatus) (a guard against hostile XML regressed?); it printed: \(text)")
        }
        let lines = text.split(separator: "\n").map(String.init)
        guard lines.count == 2, let rss = lines[1].split(separator: " ").last.flatMap({ Int($0) }), rss > 0 else {
            throw ToolFailure(message: "vigil-xml-parse-helper printed something unexpected: \(text)")
        }
        return Outcome(verdict: lines[0], peakResidentKiB: rss)
    }

    /// The helper executable sits next to the test bundle in the build directory.
    static func path() throws -> String {
        var candidates: [URL] = []
        if let main = Bundle.main.executableURL { candidates.append(main.deletingLastPathComponent()) }
        let arg0 = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates += [arg0.deletingLastPathComponent(), arg0.deletingLastPathComponent().deletingLastPathComponent()]
        for candidate in candidates {
            let path = candidate.appendingPathComponent("vigil-xml-parse-helper").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw ToolFailure(message: "vigil-xml-parse-helper not found next to the test binary (looked in "
                          + "\(candidates.map(\.path))); build it with `swift build --build-tests`")
    }
}
