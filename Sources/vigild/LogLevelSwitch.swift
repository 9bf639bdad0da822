import Logging
import Synchronization

/// The process-wide log level, changeable at run time (SIGHUP reloads it from the configuration).
final class LogLevelSwitch: Sendable {
    static let shared = LogLevelSwitch()
    private let level = Mutex(Logger.Level.info)

    var current: Logger.Level { level.withLock { $0 } }

    /// Sets the level by name; returns false for an unknown name (the level stays).
    @discardableResult
    func set(_ name: String) -> Bool {
        guard let parsed = Logger.Level(rawValue: name.lowercased()) else { return false }
        level.withLock { $0 = parsed }
        return true
    }
}

/// A stderr log handler whose level follows `LogLevelSwitch`.
struct SwitchableLogHandler: LogHandler {
    private var inner: StreamLogHandler

    init(label: String) { inner = StreamLogHandler.standardError(label: label) }

    var logLevel: Logger.Level {
        get { LogLevelSwitch.shared.current }
        set { LogLevelSwitch.shared.set(newValue.rawValue) }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        inner.log(event: event)
    }
}
