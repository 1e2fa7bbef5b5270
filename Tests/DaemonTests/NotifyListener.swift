import Foundation
import Glibc
import TestSupport

/// A Unix datagram socket standing in for systemd's `NOTIFY_SOCKET`: collects what the
/// daemon sends with sd_notify.
final class NotifyListener: @unchecked Sendable {
    let path: String
    private let fd: Int32

    init(directory: URL) throws {
        path = directory.appendingPathComponent("notify-\(UUID().uuidString.prefix(6))").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            bytes.copyBytes(from: path.utf8.prefix(bytes.count - 1))
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw DaemonFailure("cannot bind \(path): errno \(errno)") }
    }

    /// The next datagram, or nil after `timeout`.
    func next(timeout: Duration = .seconds(10)) async -> String? {
        let fd = self.fd
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return try? await onOwnThread {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, milliseconds) == 1 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, 0)
            return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : nil
        }
    }

    /// Datagrams until one contains `text`; all of them, that one last.
    func until(_ text: String, timeout: Duration = .seconds(10)) async -> [String] {
        var seen: [String] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, let message = await next(timeout: deadline - ContinuousClock.now) {
            seen.append(message)
            if message.contains(text) { break }
        }
        return seen
    }

    deinit {
        close(fd)
        unlink(path)
    }
}
