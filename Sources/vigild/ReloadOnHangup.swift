import HAAgent
import Logging
import ServiceLifecycle
import UnixSignals

/// Re-reads the configuration on SIGHUP: the log level, health checks and migration settings take
/// effect at once; the agent names every other changed setting, which needs a restart.
struct ReloadOnHangup: Service, CustomStringConvertible {
    var description: String { "ReloadOnHangup(\(path))" }
    let path: String
    let reloads: ConfigurationReloads
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            do {
                let fresh = try AgentConfiguration.load(path: path)
                LogLevelSwitch.shared.set(fresh.logLevel)
                reloads.submit(fresh)
            } catch {
                logger.error("configuration not reloaded: the file is invalid; the running settings stay", metadata: ["error": "\(error)"])
            }
        }
    }
}
