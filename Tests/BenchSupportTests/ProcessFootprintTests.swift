import BenchSupport
import XCTest

/// Reading a process's footprint from /proc.
final class ProcessFootprintTests: XCTestCase {
    private let status = "Name:\tvigild\nVmPeak:\t  900000 kB\nVmHWM:\t   41234 kB\nVmRSS:\t   30120 kB\nRssAnon:\t   10100 kB\nRssFile:\t   20000 kB\nRssShmem:\t      20 kB\nThreads:\t12\n"

    func testResidentMemoryAndCPUTimeAreReadFromStatusAndStat() throws {
        // A command name with a space and a parenthesis must not shift the fields: utime 250, stime 50.
        let stat = "4242 (vigil d) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 10 -10 12 0 5000 900000000 7530 1844674"
        let f = try ProcessFootprint.parse(status: status, stat: stat)
        XCTAssertEqual(f, ProcessFootprint(residentKiB: 30120, peakResidentKiB: 41234, anonymousKiB: 10100, fileKiB: 20000, cpuTicks: 300))
    }

    func testThisProcessesFootprintIsReal() throws {
        let f = try ProcessFootprint.read(pid: getpid())
        XCTAssertGreaterThan(f.residentKiB, 1024)
        XCTAssertGreaterThanOrEqual(f.peakResidentKiB, f.residentKiB)
    }

    func testAStatusWithoutResidentMemoryIsAClearError() {
        XCTAssertThrowsError(try ProcessFootprint.parse(status: "Name:\tkthreadd\n", stat: "2 (kthreadd) S 0 0 0 0 -1 0 0 0 0 0 1 2 0")) {
            XCTAssertEqual($0 as? ProcFileError, .missing("VmRSS", file: "status"))
        }
    }

    func testCPUShareIsTicksOverWallTime() {
        let a = ProcessFootprint(residentKiB: 0, peakResidentKiB: 0, cpuTicks: 1000)
        let b = ProcessFootprint(residentKiB: 0, peakResidentKiB: 0, cpuTicks: 1060)
        XCTAssertEqual(ProcessFootprint.cpuPercent(from: a, to: b, seconds: 60, ticksPerSecond: 100), 1, accuracy: 1e-9)
    }
}
