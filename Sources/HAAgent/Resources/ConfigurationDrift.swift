import ClusterSchema
import Crypto
import DomainXML
import Foundation
import HACoordination
import HACore

/// Whether a VM's domain XML on shared storage is still what Vigil last wrote or accepted. Blocks (reads the file).
enum ConfigurationDrift: Equatable {
    case unchanged
    case changed
    case missing(reason: String)

    /// The record of `xml` as written or accepted now by `by`.
    static func record(of xml: String, at path: String, by: String) -> ConfigurationRecord {
        ConfigurationRecord(path: path, sha256: digest(Data(xml.utf8)), at: .wallClockNow, by: by)
    }

    /// The file at the record's path against the record (read no further than the XML size limit).
    static func check(_ record: ConfigurationRecord) -> ConfigurationDrift {
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: record.path))
            defer { try? handle.close() }
            let data = try handle.read(upToCount: DomainXMLLimits.maximumDocumentBytes + 1) ?? Data()
            return digest(data) == record.sha256 ? .unchanged : .changed
        } catch {
            return .missing(reason: (error as NSError).localizedDescription)
        }
    }

    /// The alert this drift raises for `vm`, or nil.
    func alert(vm: String, group: String, record: ConfigurationRecord) -> (severity: String, message: String)? {
        switch self {
        case .unchanged: return nil
        case .changed:
            return ("warning", "VM \(vm)'s domain XML \(record.path) changed on shared storage outside Vigil (last written by \(record.by) "
                    + "at \(APIServer.iso8601(record.at))); the wizard has not checked it and the VM's next start will use it: "
                    + "check it with `vigil vm validate \(record.path)` and apply it with `vigil vm edit \(vm) --xml FILE`, or restore it")
        case .missing(let reason):
            return ("error", "VM \(vm)'s domain XML \(record.path) cannot be read (\(reason)): group \(group) cannot start anywhere; "
                    + "restore the file (the previous revision may be at \(record.path).prev)")
        }
    }

    private static func digest(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
