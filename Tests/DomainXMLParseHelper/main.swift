// vigil-xml-parse-helper: parses one domain XML file with DomainXML under hard limits (CPU time and
// data size, set on itself before reading the file) and prints the outcome, so the hostile-input
// tests of DomainXMLTests can hand an attack to the parser without risking their own process: if a
// guard regresses, this process is killed by its limits and the test fails instead of the run hanging
// or eating the machine's memory.
// Usage: vigil-xml-parse-helper <file>
// Prints "accepted <domain name>" or "refused <error description>", then "maxrss-kib <peak resident KiB>".
#if canImport(Glibc)
import Glibc
#endif
import DomainXML
import Foundation

/// The limits: far above what parsing any 4 MiB document needs, far below what an attack would take.
let cpuSeconds: rlim_t = 20
let dataBytes: rlim_t = 512 * 1024 * 1024

func limit(_ resource: Int32, to value: rlim_t) {
    var bound = rlimit(rlim_cur: value, rlim_max: value)
    guard setrlimit(__rlimit_resource_t(UInt32(resource)), &bound) == 0 else {
        FileHandle.standardError.write(Data("cannot set rlimit \(resource): errno \(errno)\n".utf8))
        exit(3)
    }
}

let args = CommandLine.arguments
guard args.count == 2, let xml = try? String(contentsOfFile: args[1], encoding: .utf8) else {
    FileHandle.standardError.write(Data("usage: vigil-xml-parse-helper <readable UTF-8 file>\n".utf8))
    exit(2)
}
limit(Int32(RLIMIT_CPU.rawValue), to: cpuSeconds)
limit(Int32(RLIMIT_DATA.rawValue), to: dataBytes)
do {
    let document = try DomainDocument(xml: xml)
    print("accepted \(document.definition.name)")
} catch {
    print("refused \(error)")
}
// The peak resident size of this program: VmHWM belongs to the address space exec made, whereas
// getrusage's ru_maxrss keeps the peak from before exec (the spawning test process's own size).
let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
    .flatMap { Int($0.split(whereSeparator: \.isWhitespace).dropFirst().first ?? "") } ?? -1
print("maxrss-kib \(peak)")
