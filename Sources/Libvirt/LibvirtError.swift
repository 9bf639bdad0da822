import CLibvirt

/// An error reported by libvirt, copied from the thread-local last error inside the call that failed.
public struct LibvirtError: Error, Sendable, CustomStringConvertible, Equatable {
    /// libvirt's error code (`virErrorNumber`), e.g. `.noDomain`, `.operationInvalid`.
    public let code: Code
    /// The libvirt subsystem that raised it (`virErrorDomain`: 10 = QEMU, 12 = test driver, …).
    public let domain: Int32
    /// libvirt's human-readable message.
    public let message: String
    /// The wrapper call that failed, e.g. `Domain.create()`.
    public let call: String

    public init(code: Code, domain: Int32, message: String, call: String) {
        self.code = code
        self.domain = domain
        self.message = message
        self.call = call
    }

    public var description: String { "\(call): \(message) (libvirt error \(code.rawValue))" }

    /// A libvirt error number (`virErrorNumber`), with names for the ones Vigil acts on.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        init(_ number: virErrorNumber) { self.rawValue = Int32(bitPattern: number.rawValue) }

        public static let internalError = Code(VIR_ERR_INTERNAL_ERROR)
        public static let noSupport = Code(VIR_ERR_NO_SUPPORT)
        public static let noConnect = Code(VIR_ERR_NO_CONNECT)
        public static let invalidArgument = Code(VIR_ERR_INVALID_ARG)
        public static let operationFailed = Code(VIR_ERR_OPERATION_FAILED)
        public static let operationInvalid = Code(VIR_ERR_OPERATION_INVALID)
        public static let operationTimeout = Code(VIR_ERR_OPERATION_TIMEOUT)
        public static let operationAborted = Code(VIR_ERR_OPERATION_ABORTED)
        public static let operationUnsupported = Code(VIR_ERR_OPERATION_UNSUPPORTED)
        public static let xmlError = Code(VIR_ERR_XML_ERROR)
        public static let xmlDetail = Code(VIR_ERR_XML_DETAIL)
        public static let systemError = Code(VIR_ERR_SYSTEM_ERROR)
        public static let noDomain = Code(VIR_ERR_NO_DOMAIN)
        public static let domainExists = Code(VIR_ERR_DOM_EXIST)
        public static let noDomainSnapshot = Code(VIR_ERR_NO_DOMAIN_SNAPSHOT)
        public static let authFailed = Code(VIR_ERR_AUTH_FAILED)
        public static let rpc = Code(VIR_ERR_RPC)
        public static let migrateUnsafe = Code(VIR_ERR_MIGRATE_UNSAFE)
        public static let resourceBusy = Code(VIR_ERR_RESOURCE_BUSY)
        public static let agentUnresponsive = Code(VIR_ERR_AGENT_UNRESPONSIVE)
    }
}

extension LibvirtError {
    /// Copies libvirt's thread-local last error. Call it synchronously right after the failing C call
    /// (no `await` in between: an async function may resume on another thread).
    static func last(call: String) -> LibvirtError {
        guard let err = virGetLastError() else {
            return LibvirtError(code: .internalError, domain: 0, message: "libvirt reported failure without an error", call: call)
        }
        let message = err.pointee.message.map { String(cString: $0) } ?? "unknown libvirt error"
        let error = LibvirtError(code: Code(rawValue: err.pointee.code), domain: err.pointee.domain, message: message, call: call)
        virResetLastError()
        return error
    }
}

/// Checks a C return code (`-1` is failure), copying the last error in the same call.
@inline(__always)
@discardableResult
func check(_ result: Int32, _ call: String) throws(LibvirtError) -> Int32 {
    if result < 0 { throw LibvirtError.last(call: call) }
    return result
}

/// Checks a C pointer result (`NULL` is failure), copying the last error in the same call.
@inline(__always)
func check<T>(_ result: T?, _ call: String) throws(LibvirtError) -> T {
    guard let result else { throw LibvirtError.last(call: call) }
    return result
}

/// Takes ownership of a C string that libvirt allocated and the caller must free.
func takeString(_ pointer: UnsafeMutablePointer<CChar>) -> String {
    defer { free(pointer) }
    return String(cString: pointer)
}
