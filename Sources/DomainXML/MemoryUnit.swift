/// libvirt's memory units (`unit` attribute) and their conversion to KiB, as `virScaleInteger` does.
enum MemoryUnit {
    /// Bytes per unit for a libvirt scale suffix, case-insensitive; nil when the unit is unknown.
    /// No suffix means KiB; "b"/"bytes" are bytes; "K"/"KiB" are powers of 1024, "KB" of 1000; up to exa.
    static func bytesPerUnit(_ unit: String?) -> UInt64? {
        guard let unit, !unit.isEmpty else { return 1024 }
        let lower = unit.lowercased()
        if lower == "b" || lower == "byte" || lower == "bytes" { return 1 }
        guard let exponent = ["k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6][String(lower.prefix(1))] else {
            return nil
        }
        let base: UInt64
        switch lower.dropFirst() {
        case "", "ib": base = 1024
        case "b": base = 1000
        default: return nil
        }
        return (0..<exponent).reduce(UInt64(1)) { result, _ in result * base }
    }

    /// `value` in `unit`, as whole KiB rounded up; the problem as text when either is unusable.
    static func kibibytes(value: String, unit: String?) -> Result<UInt64, MemoryProblem> {
        guard let scale = bytesPerUnit(unit) else { return .failure(.unknownUnit(unit ?? "")) }
        guard let amount = UInt64(value.trimmingWhitespace()) else { return .failure(.notANumber(value)) }
        let (bytes, overflow) = amount.multipliedReportingOverflow(by: scale)
        guard !overflow else { return .failure(.tooLarge(value, unit ?? "KiB")) }
        return .success(bytes / 1024 + (bytes % 1024 == 0 ? 0 : 1))
    }
}

/// Why a memory amount could not be converted.
enum MemoryProblem: Error, CustomStringConvertible {
    case unknownUnit(String)
    case notANumber(String)
    case tooLarge(String, String)

    var description: String {
        switch self {
        case let .unknownUnit(unit):
            return "has an unknown memory unit \"\(unit)\" (use b, KiB, MiB, GiB, TiB, KB, MB, GB, ...)"
        case let .notANumber(value):
            return "has a memory amount that is not a non-negative integer: \"\(value)\""
        case let .tooLarge(value, unit):
            return "has a memory amount too large to represent: \(value) \(unit)"
        }
    }
}
