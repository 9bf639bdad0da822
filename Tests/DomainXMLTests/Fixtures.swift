import Foundation

/// The XML fixtures shipped with the tests (Tests/DomainXMLTests/Fixtures).
enum Fixture {
    /// Well-formed, valid domain definitions that must round-trip.
    static let valid = [
        "virt-install-kvm", "backing-chain", "block-device", "network-disks", "lab-tcg-direct-kernel",
    ]

    /// The text of fixture `name` (without ".xml").
    static func text(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: "xml", subdirectory: "Fixtures") else {
            throw FixtureMissing(name: name)
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    struct FixtureMissing: Error, CustomStringConvertible {
        let name: String
        var description: String { "fixture \(name).xml is not in the test bundle" }
    }
}
