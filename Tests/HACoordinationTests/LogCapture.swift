import Foundation
import Logging

/// A swift-log handler that keeps every message, for tests that check what a component logs.
final class LogCapture: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var _entries: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] = []
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    var entries: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] { lock.withLock { _entries } }

    func log(event: LogEvent) {
        lock.withLock { _entries.append((event.level, event.message.description, event.metadata ?? [:])) }
    }

    /// A logger writing here.
    var logger: Logger { Logger(label: "test") { _ in self } }
}
