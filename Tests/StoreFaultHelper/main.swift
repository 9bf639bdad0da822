// vigil-store-fault-helper: an EmbeddedStore in a process of its own, driven one command a line on
// stdin, one answer a line on stdout; the storage-fault tests run it in a private mount namespace
// over a small tmpfs or a read-only bind mount.
// Usage: vigil-store-fault-helper <database path>
// Commands: put <key> <bytes> | count <prefix> | check | reopen | quit
// Answers:  ok [detail] | error <description>; at start "ready" or "error <why it cannot open>".
import Foundation
import HACoordination

func answer(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

let args = CommandLine.arguments
guard args.count == 2 else {
    FileHandle.standardError.write(Data("usage: vigil-store-fault-helper <database path>\n".utf8))
    exit(2)
}
var store: EmbeddedStore
do {
    store = try EmbeddedStore.open(path: args[1])
} catch {
    answer("error \(error)")
    exit(1)
}
answer("ready")
while let line = readLine() {
    let words = line.split(separator: " ").map(String.init)
    do {
        switch (words.first, words.count) {
        case ("put", 3):
            guard let size = Int(words[2]), size >= 0 else { answer("error bad size \(words[2])"); continue }
            answer("ok \(try await store.put(words[1], Array(repeating: UInt8(size % 251), count: size)))")
        case ("count", 2):
            answer("ok \(try await store.list(prefix: words[1]).kvs.count)")
        case ("check", 1):
            let problems = try await store.integrityCheck()
            answer(problems.isEmpty ? "ok" : "error \(problems)")
        case ("reopen", 1):
            await store.close()
            store = try EmbeddedStore.open(path: args[1])
            answer("ok")
        case ("quit", 1):
            await store.close()
            exit(0)
        default:
            answer("error unknown command: \(line)")
        }
    } catch {
        answer("error \(error)")
    }
}
