import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// One logical etcd watch: streams `/v3/watch` from a member and, when the stream breaks
/// (member down, no leader, idle too long), reopens it on the next member from the revision after
/// the last event delivered, so no event is missed or repeated. A compacted start revision
/// becomes a `.resync` snapshot.
struct EtcdWatch: Sendable {
    let store: EtcdStore
    let prefix: String

    private var gateway: EtcdGateway { store.gateway }
    private var logger: Logger { store.configuration.logger }

    func stream(from revision: Revision) -> AsyncThrowingStream<WatchEvent, Error> {
        let (stream, continuation) = AsyncThrowingStream<WatchEvent, Error>.makeStream()
        let task = Task {
            let next = LockedBox(revision)
            var attempt = 0
            while !Task.isCancelled {
                let endpoint = gateway.endpointOrder[attempt % gateway.config.endpoints.count]
                do {
                    try await streamOnce(endpoint, next: next, continuation)
                    attempt = 0
                } catch StoreError.compacted(let compactRevision) {
                    logger.info("etcd watch start revision compacted; resyncing", metadata: [
                        "etcd.prefix": "\(prefix)", "etcd.compactRevision": "\(compactRevision)"])
                    do {
                        let (kvs, rev) = try await store.list(prefix: prefix)
                        continuation.yield(.resync(kvs, revision: rev))
                        next.value = rev + 1
                    } catch {
                        attempt += 1
                    }
                } catch {
                    if Task.isCancelled { break }
                    let idle = if case StoreError.timeout = error { true } else { false }
                    // While etcd stays down, a warning at the first failure and every 50th retry (~10 s), not at each.
                    let loud = !idle && attempt % 50 == 0
                    logger.log(level: loud ? .warning : .debug, "etcd watch broken; reconnecting", metadata: [
                        "etcd.endpoint": "\(endpoint)", "etcd.prefix": "\(prefix)",
                        "etcd.nextRevision": "\(next.value)", "etcd.attempt": "\(attempt + 1)", "error": "\(error)"])
                    attempt += 1
                    try? await Task.sleep(for: store.configuration.watchRetryDelay)
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Streams from one member until the stream breaks; updates `next` after each delivered batch.
    private func streamOnce(_ endpoint: String, next: LockedBox<Revision>,
                            _ continuation: AsyncThrowingStream<WatchEvent, Error>.Continuation) async throws {
        let full = store.configuration.prefix + prefix
        let req = try gateway.request(endpoint, "/v3/watch", ["create_request": [
            "key": EtcdJSON.b64(full), "range_end": EtcdJSON.prefixEnd(full),
            "start_revision": String(next.value),
        ]])
        let lastActivity = LockedBox(ContinuousClock.now)
        let idle = store.configuration.watchIdleTimeout
        let deadline = NIODeadline.now() + .milliseconds(Int64(EtcdGateway.millis(store.configuration.requestTimeout)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let response = try await gateway.watchClient.execute(req, deadline: deadline)
                guard response.status == .ok else {
                    throw StoreError.unavailable("watch on \(endpoint): HTTP \(response.status.code)")
                }
                var lines = LineSplitter()
                for try await chunk in response.body {
                    lastActivity.value = .now
                    for line in lines.feed(chunk) {
                        try deliver(line, next: next, continuation)
                    }
                }
                if let line = lines.rest() { try deliver(line, next: next, continuation) }
                throw StoreError.unavailable("watch stream from \(endpoint) ended")
            }
            // The request deadline no longer applies once headers arrive: watch for silence here.
            // A quiet stream may be a quiet prefix or a member that stopped answering (paused,
            // partitioned without a reset): probe the member while quiet, move on if it fails.
            let probeEvery = store.configuration.watchProbeInterval
            group.addTask {
                var lastProbe = ContinuousClock.now
                while true {
                    try await Task.sleep(for: .milliseconds(250))
                    let now = ContinuousClock.now
                    if now - lastActivity.value > idle {
                        throw StoreError.timeout("watch on \(endpoint) idle for \(idle)")
                    }
                    if now - lastActivity.value > probeEvery, now - lastProbe > probeEvery {
                        try await gateway.probe(endpoint, key: full)
                        lastProbe = ContinuousClock.now
                    }
                }
            }
            defer { group.cancelAll() }
            _ = try await group.next()
        }
    }

    private func deliver(_ line: [UInt8], next: LockedBox<Revision>,
                         _ continuation: AsyncThrowingStream<WatchEvent, Error>.Continuation) throws {
        guard let json = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
            throw StoreError.protocolError("watch line is not JSON: \(String(decoding: line, as: UTF8.self))")
        }
        if let error = json["error"] as? [String: Any] {
            throw StoreError.unavailable("watch: \(error["message"] ?? error)")
        }
        guard let result = json["result"] as? [String: Any] else { return }
        if (result["canceled"] as? Bool) == true {
            let compact = EtcdJSON.int(result["compact_revision"])
            if compact > 0 { throw StoreError.compacted(compactRevision: compact) }
            throw StoreError.unavailable("watch canceled: \(result["cancel_reason"] ?? "no reason")")
        }
        // A watch "from now" (0) is pinned to the revision it started at, so that a reconnect resumes there.
        if next.value <= 0, (result["created"] as? Bool) == true { next.value = EtcdJSON.revision(result) + 1 }
        let events = EtcdJSON.events(result, prefix: store.configuration.prefix)
        for e in events { continuation.yield(e) }
        if let last = events.last { next.value = last.revision + 1 }
    }
}

/// Splits a byte stream into newline-terminated lines (the last one may lack its newline).
struct LineSplitter {
    private var buffer: [UInt8] = []

    mutating func feed(_ chunk: ByteBuffer) -> [[UInt8]] {
        buffer.append(contentsOf: chunk.readableBytesView)
        var lines: [[UInt8]] = []
        while let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            let line = Array(buffer[..<nl])
            buffer.removeSubrange(...nl)
            if !line.isEmpty { lines.append(line) }
        }
        return lines
    }

    func rest() -> [UInt8]? {
        buffer.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) ? nil : buffer
    }
}
