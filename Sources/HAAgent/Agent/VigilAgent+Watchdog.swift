import HACoordination

extension VigilAgent {
    /// Arms the host watchdog, fed by the membership's lease state and clock; nil (logged) when it is
    /// disabled or cannot be armed: vigild then runs without one.
    func armWatchdog(_ membership: Membership) async -> WatchdogShell? {
        let w = configuration.watchdog
        guard w.enabled else {
            logger.info("host watchdog disabled (watchdog.enabled: false)")
            return nil
        }
        do {
            return try await WatchdogShell(path: w.device, timeoutSeconds: w.timeoutSeconds,
                                           petInterval: .milliseconds(Int64(w.petIntervalSeconds * 1000)),
                                           leaseTiming: (.seconds(membership.configuration.ttlSeconds), membership.configuration.keepAliveInterval),
                                           clock: { await membership.now() }, lease: { await membership.leaseState },
                                           logger: logger)
        } catch {
            logger.error(error.isMissingDevice ? "watchdog device does not exist; running without a host watchdog"
                                               : "cannot arm the host watchdog; running without one",
                         metadata: ["watchdog.device": "\(w.device)", "error": "\(error)"])
            return nil
        }
    }

    /// The watchdog's health input: ticks every second while the agent's tasks run.
    func tickWatchdogHealth(_ watchdog: WatchdogShell) async {
        while !Task.isCancelled {
            await watchdog.healthTick()
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
