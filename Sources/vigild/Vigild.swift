import ArgumentParser
import HAAgent
import Logging
import Metrics
import ServiceLifecycle

/// `vigild`: the Vigil agent that runs on every hypervisor host.
@main
struct Vigild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigild",
        abstract: "Vigil's host agent: keeps this host's HA virtual machines running, and the cluster's.")

    @Option(name: .shortAndLong, help: "The configuration file (YAML; deploy/vigild.yaml documents every setting).")
    var config: String = "/etc/vigil/vigild.yaml"

    @Flag(help: "Check the configuration file and exit.")
    var check = false

    func run() async throws {
        let settings: AgentConfiguration
        do { settings = try AgentConfiguration.load(path: config) } catch {
            throw ValidationError("\(error)")
        }
        if check {
            print("configuration \(config) is valid: node \(settings.node), cluster \(settings.cluster)")
            return
        }
        LogLevelSwitch.shared.set(settings.logLevel)
        LoggingSystem.bootstrap { label in SwitchableLogHandler(label: label) }
        let logger = Logger(label: "vigild")
        ProcessPriority.apply(settings.membership, logger: logger)
        // The agent's registry is the one /metrics renders: libraries' swift-metrics land there too.
        let metrics = AgentMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        let reloads = ConfigurationReloads()
        let agent = VigilAgent(configuration: settings, metrics: metrics, reloads: reloads, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: agent),
            .init(service: ReloadOnHangup(path: config, reloads: reloads, logger: logger)),
            .init(service: SystemdNotifier(logger: logger)),
        ]
        if settings.membership.nice != 0 { services.append(.init(service: PriorityHold(nice: settings.membership.nice))) }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
