internal import CLibvirt

/// A value of a libvirt typed parameter (`virTypedParameter`).
public enum TypedValue: Sendable, Equatable {
    case int(Int32), uint(UInt32), long(Int64), ulong(UInt64), double(Double), bool(Bool), string(String)

    /// The value as an unsigned integer when it is a non-negative integer.
    public var unsignedValue: UInt64? {
        switch self {
        case .int(let v): v >= 0 ? UInt64(v) : nil
        case .uint(let v): UInt64(v)
        case .long(let v): v >= 0 ? UInt64(v) : nil
        case .ulong(let v): v
        default: nil
        }
    }
}

/// An owned array of libvirt typed parameters built from `MigrationParameters`, freed on release.
final class TypedParameters {
    private(set) var pointer: UnsafeMutablePointer<virTypedParameter>?
    private(set) var count: Int32 = 0
    private var capacity: Int32 = 0

    init(_ parameters: MigrationParameters) throws(LibvirtError) {
        try add(VIR_MIGRATE_PARAM_URI, parameters.migrationURI)
        try add(VIR_MIGRATE_PARAM_DEST_NAME, parameters.destinationName)
        try add(VIR_MIGRATE_PARAM_DEST_XML, parameters.destinationXML)
        try add(VIR_MIGRATE_PARAM_PERSIST_XML, parameters.persistentXML)
        if let bandwidth = parameters.bandwidthMiBps {
            try check(virTypedParamsAddULLong(&pointer, &count, &capacity, VIR_MIGRATE_PARAM_BANDWIDTH, bandwidth), "TypedParameters.add(bandwidth)")
        }
    }

    deinit { virTypedParamsFree(pointer, count) }

    private func add(_ name: String, _ value: String?) throws(LibvirtError) {
        guard let value else { return }
        try check(virTypedParamsAddString(&pointer, &count, &capacity, name, value), "TypedParameters.add(\(name))")
    }

    /// Copies a C array of typed parameters into a dictionary keyed by field name.
    static func decode(_ params: UnsafeMutablePointer<virTypedParameter>?, count: Int32) -> [String: TypedValue] {
        guard let params else { return [:] }
        var result: [String: TypedValue] = [:]
        for i in 0..<Int(count) {
            var param = params[i]
            let name = withUnsafeBytes(of: &param.field) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            let value: TypedValue? = switch Int32(param.type) {
            case Int32(VIR_TYPED_PARAM_INT.rawValue): .int(param.value.i)
            case Int32(VIR_TYPED_PARAM_UINT.rawValue): .uint(param.value.ui)
            case Int32(VIR_TYPED_PARAM_LLONG.rawValue): .long(param.value.l)
            case Int32(VIR_TYPED_PARAM_ULLONG.rawValue): .ulong(param.value.ul)
            case Int32(VIR_TYPED_PARAM_DOUBLE.rawValue): .double(param.value.d)
            case Int32(VIR_TYPED_PARAM_BOOLEAN.rawValue): .bool(param.value.b != 0)
            case Int32(VIR_TYPED_PARAM_STRING.rawValue): param.value.s.map { .string(String(cString: $0)) }
            default: nil
            }
            if let value { result[name] = value }
        }
        return result
    }
}
