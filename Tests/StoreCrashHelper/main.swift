// vigil-store-crash-helper: writes to an EmbeddedStore in a loop and prints "ack <i>" after each
// acknowledged write, until killed. Used by the kill -9 durability test of HACoordinationTests.
// Usage: vigil-store-crash-helper <database path> <first index>
import Foundation
import HACoordination

let args = CommandLine.arguments
guard args.count == 3, let first = Int(args[2]) else {
    FileHandle.standardError.write(Data("usage: vigil-store-crash-helper <database path> <first index>\n".utf8))
    exit(2)
}
let store = try EmbeddedStore(path: args[1], sweepInterval: nil)
var i = first
while true {
    // One plain put and one two-key transaction per step: both must survive whole or not at all.
    let value = Array(repeating: UInt8(i % 251), count: 512 + i % 512)
    try await store.put("crash/\(i)", value)
    _ = try await store.transaction(Transaction(compare: [], success: [
        .put("pair/\(i)/a", Array("\(i)".utf8)), .put("pair/\(i)/b", Array("\(i)".utf8)),
    ]))
    FileHandle.standardOutput.write(Data("ack \(i)\n".utf8))  // unbuffered: written means acknowledged
    i += 1
}
