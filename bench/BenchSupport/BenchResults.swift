import Foundation

/// The benchmarks' result files: bench/results/NAME.json in the repository, each with the date,
/// the machine and the commit it was measured on.
public enum BenchResults {
    /// Writes `result` with "date", "machine" and "commit" added (sorted keys, pretty-printed) and
    /// returns the file's path.
    @discardableResult
    public static func write(_ result: [String: Any], name: String, machine: [String: Any], repository: String) throws -> String {
        var full = result
        full["date"] = ISO8601DateFormatter().string(from: Date())
        full["machine"] = machine
        full["commit"] = BenchMachine.commit(repository)
        let directory = repository + "/bench/results"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/" + name + ".json"
        try JSONSerialization.data(withJSONObject: full, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: file))
        return file
    }
}
