import DomainXML
import Testing

@Suite("Memory units") struct MemoryUnitTests {
    @Test("units convert to KiB as libvirt does (rounding bytes up)", arguments: [
        ("1024", nil, UInt64(1024)),
        ("1", "KiB", 1), ("1", "k", 1), ("1", "K", 1),
        ("128", "MiB", 131_072), ("128", "M", 131_072), ("128", "mib", 131_072),
        ("2", "G", 2_097_152), ("8", "GiB", 8_388_608), ("1", "TiB", 1_073_741_824),
        ("1", "PiB", 1_099_511_627_776), ("1", "EiB", 1_125_899_906_842_624),
        ("1000", "KB", 977), ("1", "MB", 977), ("1", "GB", 976_563),
        ("1048576", "b", 1024), ("1048576", "bytes", 1024), ("1", "b", 1), ("0", "MiB", 0),
    ] as [(String, String?, UInt64)])
    func converts(value: String, unit: String?, kibibytes: UInt64) throws {
        let unitAttribute = unit.map { " unit='\($0)'" } ?? ""
        let xml = "<domain type='kvm'><name>m</name><memory\(unitAttribute)>\(value)</memory></domain>"
        #expect(try DomainDefinition(xml: xml).memoryKiB == kibibytes)
    }

    @Test("unknown units are refused", arguments: ["MegaBytes", "KiBB", "Mi", "x", "kiB2"])
    func refusesUnknown(unit: String) {
        let xml = "<domain type='kvm'><name>m</name><memory unit='\(unit)'>1</memory></domain>"
        #expect(throws: DomainXMLError.invalid(line: 1, problem:
            "<memory> has an unknown memory unit \"\(unit)\" (use b, KiB, MiB, GiB, TiB, KB, MB, GB, ...)")) {
            try DomainDocument(xml: xml)
        }
    }
}
