/// The rule for a name that becomes part of a store key (a VM, group, storage or node name): it must
/// name one record and nothing else, so no `/` (a deeper key), no `.` or `..`, no control
/// characters, no surrounding white space, and at most `maximumBytes` bytes of UTF-8.
public enum StoreName {
    /// The longest name allowed, in bytes of UTF-8 (libvirt's domain names are far shorter in practice).
    public static let maximumBytes = 200

    /// Why a name cannot be used, or nil when it can.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > maximumBytes { return "is longer than \(maximumBytes) bytes" }
        if name == "." || name == ".." { return "cannot be '.' or '..'" }
        if name.contains("/") { return "contains '/'" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }) {
            return "contains a control character"
        }
        if name.first!.isWhitespace || name.last!.isWhitespace { return "begins or ends with white space" }
        return nil
    }

    /// Throws `StoreNameError` naming the kind of thing (`"VM"`, `"group"`, ...) and the problem.
    public static func check(_ name: String, as kind: String) throws(StoreNameError) {
        if let problem = problem(with: name) { throw StoreNameError(description: "\(kind) name \(quoted(name)) \(problem)") }
    }

    /// The name as an error shows it: control characters escaped, at most 60 characters.
    private static func quoted(_ name: String) -> String {
        let shown = name.unicodeScalars.prefix(60).map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }.joined()
        return "'\(shown)\(name.unicodeScalars.count > 60 ? "…" : "")'"
    }
}

/// A name refused by `StoreName.check`.
public struct StoreNameError: Error, Equatable, CustomStringConvertible {
    public let description: String
}
