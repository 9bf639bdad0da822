/// The parts of a qcow2 header that describe its backing file (big-endian fields, see qemu's docs/interop/qcow2.txt).
struct QCow2Header: Equatable {
    static let magic: [UInt8] = [0x51, 0x46, 0x49, 0xFB]  // "QFI\xfb"
    static let backingFormatExtension: UInt32 = 0xE279_2ACA
    /// qemu refuses backing file names longer than this.
    static let maximumBackingFileLength: UInt32 = 1023

    var version: UInt32
    var virtualSize: UInt64
    var backingFile: String?
    var backingFormat: String?

    /// True when the file starts with the qcow2 magic.
    static func hasMagic(_ file: ImageFile) throws(BackingChainError) -> Bool {
        try file.read(4, at: 0) == magic
    }

    /// Reads the header of a file that starts with the qcow2 magic.
    init(file: ImageFile) throws(BackingChainError) {
        let fixed = try file.readExactly(72, at: 0, what: "the version 2 header")
        version = fixed.bigEndian(UInt32.self, at: 4)
        guard version == 2 || version == 3 else { throw .unsupportedVersion(path: file.path, version: version) }
        let backingOffset = fixed.bigEndian(UInt64.self, at: 8)
        let backingLength = fixed.bigEndian(UInt32.self, at: 16)
        let clusterBits = fixed.bigEndian(UInt32.self, at: 20)
        virtualSize = fixed.bigEndian(UInt64.self, at: 24)
        guard (9...21).contains(clusterBits) else {
            throw .corruptHeader(path: file.path, problem: "cluster_bits \(clusterBits) is outside 9...21")
        }
        let clusterSize = UInt64(1) << UInt64(clusterBits)
        var headerLength: UInt64 = 72
        if version == 3 {
            headerLength = UInt64(try file.readExactly(4, at: 100, what: "header_length").bigEndian(UInt32.self, at: 0))
            guard headerLength >= 104, headerLength <= clusterSize else {
                throw .corruptHeader(path: file.path, problem: "header_length \(headerLength) is not in 104...\(clusterSize)")
            }
        }
        backingFormat = try Self.backingFormat(file, extensionsAt: headerLength, end: clusterSize)
        guard backingOffset != 0 else {
            backingFile = nil
            return
        }
        guard backingLength <= Self.maximumBackingFileLength, backingOffset + UInt64(backingLength) <= clusterSize else {
            throw .corruptHeader(path: file.path, problem:
                "backing file name (offset \(backingOffset), \(backingLength) bytes) does not fit in the first cluster")
        }
        let name = try file.readExactly(Int(backingLength), at: backingOffset, what: "the backing file name")
        backingFile = String(decoding: name, as: UTF8.self)
    }

    /// Walks the header extensions (type, length, data padded to 8 bytes) up to the end marker.
    private static func backingFormat(_ file: ImageFile, extensionsAt start: UInt64, end: UInt64)
        throws(BackingChainError) -> String?
    {
        var offset = start
        while offset + 8 <= end {
            let header = try file.readExactly(8, at: offset, what: "a header extension")
            let type = header.bigEndian(UInt32.self, at: 0)
            let length = UInt64(header.bigEndian(UInt32.self, at: 4))
            if type == 0 { return nil }
            guard offset + 8 + length <= end else {
                throw .corruptHeader(path: file.path, problem: "header extension 0x\(String(type, radix: 16)) runs past the first cluster")
            }
            if type == backingFormatExtension {
                let data = try file.readExactly(Int(length), at: offset + 8, what: "the backing format extension")
                return String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
            }
            offset += 8 + (length + 7) / 8 * 8
        }
        return nil
    }
}

extension [UInt8] {
    /// The big-endian integer of type `T` starting at `offset`.
    func bigEndian<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, at offset: Int) -> T {
        self[offset..<offset + MemoryLayout<T>.size].reduce(T(0)) { $0 << 8 | T($1) }
    }
}
