import Foundation

/// A helper tool that could not run or failed, with its standard error.
struct ToolFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Runs `executable` and returns its standard output; a failure carries the tool's standard error.
func runTool(_ executable: String, _ arguments: [String], in directory: URL? = nil, hint: String) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    do {
        try process.run()
    } catch {
        throw ToolFailure(message: "\(executable) cannot run here (\(hint)): \(error)")
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ToolFailure(message: "\(executable) \(arguments.joined(separator: " ")) failed (\(hint)): \(errorText)")
    }
    return data
}
