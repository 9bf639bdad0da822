internal import CLibvirt

/// An error reported by libvirt, copied from the thread-local last error inside the call that failed,
/// or raised by this wrapper itself (then its `source` is `.wrapper`, e.g. `.connectionClosed`).
public struct LibvirtError: Error, Sendable, CustomStringConvertible, Equatable {
    /// libvirt's error code (`virErrorNumber`), e.g. `.noDomain`, `.operationInvalid`.
    public let code: Code
    /// The libvirt subsystem that raised it (`virErrorDomain`), e.g. `.qemu`, `.test`, `.locking`.
    public let source: Source
    /// libvirt's human-readable message.
    public let message: String
    /// The wrapper call that failed, e.g. `Domain.create()`.
    public let call: String

    public init(code: Code, source: Source, message: String, call: String) {
        self.code = code
        self.source = source
        self.message = message
        self.call = call
    }

    public var description: String { "\(call): \(message) (libvirt error \(code.rawValue) from \(source.rawValue))" }

    /// A libvirt error number (`virErrorNumber`), with names for the ones Vigil meets.
    /// libvirt's numbers are never negative; the wrapper's own codes are.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        init(_ number: virErrorNumber) { self.rawValue = Int32(bitPattern: number.rawValue) }

        /// The wrapper's own: the `Connection` was closed with `close()` before or during this call.
        public static let connectionClosed = Code(rawValue: -1)

        public static let internalError = Code(VIR_ERR_INTERNAL_ERROR)
        public static let noSupport = Code(VIR_ERR_NO_SUPPORT)
        /// The hypervisor could not be reached (or no driver serves the URI).
        public static let noConnect = Code(VIR_ERR_NO_CONNECT)
        public static let invalidConnection = Code(VIR_ERR_INVALID_CONN)
        public static let invalidArgument = Code(VIR_ERR_INVALID_ARG)
        public static let operationFailed = Code(VIR_ERR_OPERATION_FAILED)
        /// Forbidden, e.g. a write on a read-only connection.
        public static let operationDenied = Code(VIR_ERR_OPERATION_DENIED)
        /// Not applicable in the domain's state (e.g. starting a running domain).
        public static let operationInvalid = Code(VIR_ERR_OPERATION_INVALID)
        /// A timeout, e.g. waiting for the domain's job lock held by a hung call.
        public static let operationTimeout = Code(VIR_ERR_OPERATION_TIMEOUT)
        public static let operationAborted = Code(VIR_ERR_OPERATION_ABORTED)
        public static let operationUnsupported = Code(VIR_ERR_OPERATION_UNSUPPORTED)
        public static let configUnsupported = Code(VIR_ERR_CONFIG_UNSUPPORTED)
        public static let xmlError = Code(VIR_ERR_XML_ERROR)
        public static let xmlDetail = Code(VIR_ERR_XML_DETAIL)
        /// A system call failed (its errno is in the message).
        public static let systemError = Code(VIR_ERR_SYSTEM_ERROR)
        public static let noDomain = Code(VIR_ERR_NO_DOMAIN)
        public static let domainExists = Code(VIR_ERR_DOM_EXIST)
        public static let noDomainSnapshot = Code(VIR_ERR_NO_DOMAIN_SNAPSHOT)
        public static let authFailed = Code(VIR_ERR_AUTH_FAILED)
        public static let authCancelled = Code(VIR_ERR_AUTH_CANCELLED)
        public static let authUnavailable = Code(VIR_ERR_AUTH_UNAVAILABLE)
        public static let accessDenied = Code(VIR_ERR_ACCESS_DENIED)
        public static let rpc = Code(VIR_ERR_RPC)
        /// libvirt cannot prove the migration safe (e.g. storage it does not recognise as shared).
        public static let migrateUnsafe = Code(VIR_ERR_MIGRATE_UNSAFE)
        /// In use elsewhere, e.g. a disk lease held by another host's lock manager.
        public static let resourceBusy = Code(VIR_ERR_RESOURCE_BUSY)
        public static let agentUnresponsive = Code(VIR_ERR_AGENT_UNRESPONSIVE)
        public static let agentUnsynced = Code(VIR_ERR_AGENT_UNSYNCED)
        public static let cpuIncompatible = Code(VIR_ERR_CPU_INCOMPATIBLE)
    }

    /// The part of libvirt that raised an error (`virErrorDomain`), with names for the ones Vigil meets.
    /// libvirt's numbers are never negative; `.wrapper` marks errors raised by this wrapper itself.
    public struct Source: RawRepresentable, Hashable, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        init(_ domain: virErrorDomain) { self.rawValue = Int32(bitPattern: domain.rawValue) }

        /// This wrapper, not libvirt.
        public static let wrapper = Source(rawValue: -1)

        public static let none = Source(VIR_FROM_NONE)
        public static let xml = Source(VIR_FROM_XML)
        public static let rpc = Source(VIR_FROM_RPC)
        public static let qemu = Source(VIR_FROM_QEMU)
        public static let test = Source(VIR_FROM_TEST)
        public static let remote = Source(VIR_FROM_REMOTE)
        public static let storage = Source(VIR_FROM_STORAGE)
        /// Domain configuration (XML parsing and validation).
        public static let domainConfig = Source(VIR_FROM_DOMAIN)
        public static let security = Source(VIR_FROM_SECURITY)
        public static let cpu = Source(VIR_FROM_CPU)
        /// The lock manager plugin (virtlockd, sanlock) guarding the domain's disks: its refusals
        /// (another host holds a disk) come as `.resourceBusy` from here or from `.lockspace`.
        public static let locking = Source(VIR_FROM_LOCKING)
        /// virtlockd's lock spaces.
        public static let lockspace = Source(VIR_FROM_LOCKSPACE)
        public static let auth = Source(VIR_FROM_AUTH)
        public static let access = Source(VIR_FROM_ACCESS)
        public static let cgroup = Source(VIR_FROM_CGROUP)
    }
}

extension LibvirtError {
    /// Copies libvirt's thread-local last error. Call it synchronously right after the failing C call
    /// (no `await` in between: an async function may resume on another thread).
    static func last(call: String) -> LibvirtError {
        guard let err = virGetLastError() else {
            return LibvirtError(code: .internalError, source: .wrapper, message: "libvirt reported failure without an error", call: call)
        }
        let message = err.pointee.message.map { String(cString: $0) } ?? "unknown libvirt error"
        let error = LibvirtError(code: Code(rawValue: err.pointee.code), source: Source(rawValue: err.pointee.domain), message: message, call: call)
        virResetLastError()
        return error
    }

    /// The error of a call on a connection closed with `close()`.
    static func connectionClosed(uri: String, call: String) -> LibvirtError {
        LibvirtError(code: .connectionClosed, source: .wrapper, message: "connection to \(uri) is closed", call: call)
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
