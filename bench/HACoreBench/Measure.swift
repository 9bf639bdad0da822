import BenchSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall time of a block, in seconds.
func seconds(_ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    let d = clock.measure(body)
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// Peak resident memory of this process so far, in MiB. On Linux VmHWM, which starts afresh at exec:
/// getrusage's maxrss would keep the peak of `swift run`, which execs the benchmark.
func peakRSSMiB() -> Double {
    #if os(Linux)
    return Double((try? ProcessFootprint.read(pid: getpid()))?.peakResidentKiB ?? -1024) / 1024
    #else
    var usage = rusage()
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1_048_576
    #endif
}

/// Formats a duration readably.
func format(_ s: Double) -> String {
    if s >= 1 { return String(format2(s)) + " s" }
    if s >= 1e-3 { return format2(s * 1e3) + " ms" }
    return format2(s * 1e6) + " µs"
}

func format2(_ v: Double) -> String {
    let r = (v * 100).rounded() / 100
    return "\(r)"
}

func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
