import Foundation

/// Runs the real `qemu-img` in a temporary directory that is removed afterwards.
struct QemuImg {
    let directory: URL

    /// Calls `body` with a fresh temporary directory, removing it even when `body` throws.
    static func inTemporaryDirectory<R>(_ body: (QemuImg) throws -> R) throws -> R {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("vigil-backing-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(QemuImg(directory: directory))
    }

    /// The absolute path of `name` inside the temporary directory.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Runs `qemu-img arguments...` in the temporary directory and returns its standard output.
    @discardableResult
    func run(_ arguments: String...) throws -> Data {
        try runTool("/usr/bin/qemu-img", arguments, in: directory, hint: "install qemu-utils")
    }

    /// `qemu-img info --backing-chain --output=json` as (filename, format, backing filename, backing format, size).
    func infoChain(_ path: String) throws -> [ChainInfo] {
        try JSONDecoder().decode([ChainInfo].self, from: run("info", "--backing-chain", "--output=json", path))
    }

    /// The fields of qemu-img's JSON that BackingChain also reports.
    struct ChainInfo: Decodable, Equatable {
        var filename: String
        var format: String
        var backingFilename: String?
        var backingFilenameFormat: String?
        var virtualSize: UInt64

        enum CodingKeys: String, CodingKey {
            case filename, format
            case backingFilename = "backing-filename"
            case backingFilenameFormat = "backing-filename-format"
            case virtualSize = "virtual-size"
        }
    }
}
