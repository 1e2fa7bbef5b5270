import FoundationEssentials
import Glibc
import SystemCall

/// A state file: one JSON document with a version, dates as seconds since 1970, written
/// atomically (temporary file, then rename) and readable by its owner only (0600).
public enum JSONFile {
    public struct UnsupportedVersion: Error, CustomStringConvertible {
        public var version: Int
        public var description: String { "unsupported file version \(version)" }
    }

    private struct Envelope<Contents: Codable>: Codable {
        var version: Int
        var contents: Contents
    }

    public static func save<Contents: Codable>(_ contents: Contents, version: Int, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let data = try encoder.encode(Envelope(version: version, contents: contents))
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        // Created 0600 by open(2) itself: FileManager.createFile writes a 0666 & ~umask file
        // and only then chmods it, a window in which another user may open it.
        unlink(temporary.path)
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw JSONFileWriteError(path: temporary.path, errno: errno) }
        let written = data.withUnsafeBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let count = untilNotInterrupted { write(descriptor, bytes.baseAddress! + offset, bytes.count - offset) }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
        guard close(descriptor) == 0, written else {
            let failure = JSONFileWriteError(path: temporary.path, errno: errno)
            unlink(temporary.path)
            throw failure
        }
        guard rename(temporary.path, url.path) == 0 else { throw JSONFileWriteError(path: url.path, errno: errno) }
    }

    /// The contents of a file written by `save` with the same `version`. Throws on a
    /// corrupt, truncated or foreign file, and on anything but a regular file of at most
    /// `maxBytes` (`StateFileRefused`).
    public static func load<Contents: Codable>(_: Contents.Type, version: Int, from url: URL) throws -> Contents {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        let envelope = try decoder.decode(Envelope<Contents>.self, from: readRegularFile(url))
        guard envelope.version == version else { throw UnsupportedVersion(version: envelope.version) }
        return envelope.contents
    }

    /// Most bytes a state file may have: far above what the bounded cache and pins write,
    /// so that only a foreign file is refused, before it is read.
    public static let maxBytes = 256 << 20

    /// The bytes of `url`, checked to be a regular file before reading. Opened without
    /// blocking, so a FIFO (which would wait for a writer) is refused like a device.
    private static func readRegularFile(_ url: URL) throws -> Data {
        let descriptor = open(url.path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StateFileRefused(path: url.path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw StateFileRefused(path: url.path, reason: String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw StateFileRefused(path: url.path, reason: "not a regular file but \(fileKind(info.st_mode))")
        }
        guard info.st_size <= maxBytes else {
            throw StateFileRefused(path: url.path, reason: "\(info.st_size) bytes, more than \(maxBytes)")
        }
        var data = Data(count: Int(info.st_size))
        let count = data.withUnsafeMutableBytes { buffer -> Int in
            var offset = 0
            while offset < buffer.count {
                let n = untilNotInterrupted { read(descriptor, buffer.baseAddress! + offset, buffer.count - offset) }
                guard n > 0 else { break }
                offset += n
            }
            return offset
        }
        return data.prefix(count)
    }

    private static func fileKind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFDIR: "a directory"
        case S_IFSOCK: "a socket"
        default: "of file type \(String(mode & S_IFMT, radix: 8))"
        }
    }
}

/// A state file that is not read: not a regular file, too large, or not openable.
public struct StateFileRefused: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

/// Why `JSONFile.save` could not write its file.
public struct JSONFileWriteError: Error, CustomStringConvertible {
    public var path: String
    public var errno: Int32
    public var description: String { "cannot write \(path): \(String(cString: strerror(errno)))" }
}
