import HAAgent
import Logging
import ServiceLifecycle
import UnixSignals

/// Re-reads the configuration on SIGHUP: applies the log level at once, and names every other
/// changed setting, which takes effect at the next restart.
struct ReloadOnHangup: Service, CustomStringConvertible {
    var description: String { "ReloadOnHangup(\(path))" }
    let path: String
    let running: AgentConfiguration
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            do {
                let fresh = try AgentConfiguration.load(path: path)
                LogLevelSwitch.shared.set(fresh.logLevel)
                var pending = running
                pending.logLevel = fresh.logLevel
                if pending == fresh {
                    logger.notice("configuration reloaded", metadata: ["log_level": "\(fresh.logLevel)"])
                } else {
                    logger.warning("configuration reloaded; settings other than log_level take effect after a restart",
                                   metadata: ["log_level": "\(fresh.logLevel)"])
                }
            } catch {
                logger.error("configuration not reloaded: the file is invalid; the running settings stay", metadata: ["error": "\(error)"])
            }
        }
    }
}
