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

/// A stderr log handler whose level follows `LogLevelSwitch`, unless the code that owns a logger
/// sets that logger's own level (a library quieting itself): that changes that logger alone, never
/// the process-wide level (the API once silenced every log line of vigild this way).
struct SwitchableLogHandler: LogHandler {
    private var inner: StreamLogHandler
    private var ownLevel: Logger.Level?

    init(label: String) { inner = StreamLogHandler.standardError(label: label) }

    var logLevel: Logger.Level {
        get { ownLevel ?? LogLevelSwitch.shared.current }
        set { ownLevel = newValue }
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
