/// The host watchdog: a device that resets the host unless vigild pets it in time (see
/// `WatchdogPetting` for when it does).
public struct WatchdogSettings: Codable, Sendable, Equatable {
    /// Arm the watchdog. When the device does not exist, vigild logs an error and runs without one.
    public var enabled: Bool = true
    /// The watchdog device (a Linux watchdog character device, or a FIFO read by an emulator).
    public var device: String = "/dev/watchdog"
    /// The device's timeout, seconds: the host resets this long after the last pet.
    public var timeoutSeconds: Int = 10
    /// Seconds between pets; less than half the timeout.
    public var petIntervalSeconds: Double = 1

    enum CodingKeys: String, CodingKey {
        case enabled, device, timeoutSeconds = "timeout_seconds", petIntervalSeconds = "pet_interval_seconds"
    }

    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? enabled
        device = try c.decodeIfPresent(String.self, forKey: .device) ?? device
        timeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .timeoutSeconds) ?? timeoutSeconds
        petIntervalSeconds = try c.decodeIfPresent(Double.self, forKey: .petIntervalSeconds) ?? petIntervalSeconds
    }

    /// Checks the values; a bad one is named.
    func validate() throws(ConfigurationFileError) {
        guard device.hasPrefix("/") else { throw .invalid(setting: "watchdog.device", problem: "must be an absolute path") }
        guard (2...65535).contains(timeoutSeconds) else {
            throw .invalid(setting: "watchdog.timeout_seconds", problem: "must be 2 to 65535 seconds")
        }
        guard petIntervalSeconds > 0, petIntervalSeconds * 2 < Double(timeoutSeconds) else {
            throw .invalid(setting: "watchdog.pet_interval_seconds", problem: "must be positive and less than half of timeout_seconds")
        }
    }
}
