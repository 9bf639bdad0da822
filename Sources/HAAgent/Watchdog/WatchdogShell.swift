import HACoordination
import Logging

/// The host watchdog's shell: arms the device, pets it every `petInterval` while `WatchdogPetting`
/// says so (lease confirmed, health loop ticking), and disarms it on a graceful stop.
public actor WatchdogShell {
    private let device: HostWatchdog
    private var petting: WatchdogPetting
    private let petInterval: Duration
    private let clock: @Sendable () async -> Duration
    private let lease: @Sendable () async -> LeaseDeadline.State
    private let logger: Logger
    private var loop: Task<Void, Never>?
    /// The device path.
    public nonisolated let path: String
    /// The timeout the armed device runs with; nil once disarmed or abandoned.
    public private(set) var armedTimeout: Duration?
    /// How long after this host's lease expired its watchdog has certainly reset it (see
    /// `WatchdogPetting`); nil once disarmed or abandoned.
    public var resetAfterExpiry: Duration? { armedTimeout.map { _ in reset } }
    private let reset: Duration
    /// Pets that failed to reach the device so far (each one brings the reset closer).
    public private(set) var failedPets = 0

    /// Arms the device at `path` and starts petting. `clock` and `lease` give the time and lease state
    /// in one clock (the membership's); the agent calls `healthTick()` from its own loop.
    /// `leaseTiming`: the membership's lease TTL and renewal interval, which set the pet window (nil: pet for the whole TTL).
    public init(path: String, timeoutSeconds: Int, petInterval: Duration, healthTolerance: Duration = .seconds(3),
                leaseTiming: (ttl: Duration, renewal: Duration)? = nil,
                clock: @escaping @Sendable () async -> Duration, lease: @escaping @Sendable () async -> LeaseDeadline.State,
                logger: Logger) async throws(WatchdogError) {
        device = try HostWatchdog(path: path, timeoutSeconds: timeoutSeconds)
        self.path = path
        self.petInterval = petInterval
        self.clock = clock
        self.lease = lease
        self.logger = logger
        let timeout = Duration.seconds(device.timeoutSeconds)
        let window = leaseTiming.map { WatchdogPetting.window(ttl: $0.ttl, renewal: $0.renewal, timeout: timeout) }
        petting = WatchdogPetting(armedAt: await clock(), healthTolerance: healthTolerance, petWindow: window)
        reset = leaseTiming.map { WatchdogPetting.resetAfterExpiry(ttl: $0.ttl, window: window!, timeout: timeout) } ?? timeout
        armedTimeout = timeout
        logger.notice("host watchdog armed", metadata: [
            "watchdog.device": "\(path)", "watchdog.timeout": "\(device.timeoutSeconds)",
            "watchdog.kind": "\(device.isCharacterDevice ? "device" : "fifo")",
            "watchdog.petWindow": "\(window.map { "\($0)" } ?? "lease TTL")", "watchdog.resetAfterExpiry": "\(reset)"])
        if device.timeoutSeconds != timeoutSeconds || petInterval * 2 >= .seconds(device.timeoutSeconds) {
            logger.warning("the watchdog runs with another timeout than configured", metadata: [
                "watchdog.device": "\(path)", "watchdog.requested": "\(timeoutSeconds)", "watchdog.granted": "\(device.timeoutSeconds)"])
        }
        loop = Task { [weak self] in await self?.run() }
    }

    /// The agent's health loop ran: petting may go on.
    public func healthTick() async { petting.healthTicked(at: await clock()) }

    /// Graceful stop: stops petting and disarms the device (magic close), so the host is not reset.
    public func disarm() async {
        stopLoop()
        perform(petting.stopRequested(now: await clock()))
    }

    /// Stops petting and closes the device without disarming it: the host is reset one timeout
    /// after the last pet unless an agent opens it again in time (what a crash does).
    public func abandon() {
        stopLoop()
        armedTimeout = nil
        logger.critical("host watchdog left armed: the host resets unless vigild returns in time", metadata: [
            "watchdog.device": "\(path)", "watchdog.timeout": "\(device.timeoutSeconds)"])
    }

    private func stopLoop() {
        loop?.cancel()
        loop = nil
    }

    private func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: petInterval)
            if Task.isCancelled { return }
            let state = await lease()
            perform(petting.tick(now: await clock(), lease: state))
        }
    }

    private func perform(_ action: WatchdogPetting.Action) {
        switch action {
        case .none:
            break
        case .pet:
            do { try device.pet() } catch {
                failedPets += 1
                logger.error("cannot pet the host watchdog", metadata: ["error": "\(error)", "watchdog.failedPets": "\(failedPets)"])
            }
        case .stopPetting(let reason):
            logger.critical("no longer petting the host watchdog: the host resets unless this recovers", metadata: [
                "watchdog.device": "\(path)", "reason": "\(reason)", "watchdog.timeout": "\(device.timeoutSeconds)"])
        case .disarm:
            armedTimeout = nil
            do {
                try device.disarm()
                logger.notice("host watchdog disarmed (magic close)", metadata: ["watchdog.device": "\(path)"])
            } catch {
                logger.error("cannot disarm the host watchdog; it may reset the host", metadata: ["error": "\(error)"])
            }
        }
    }
}
