import Foundation

/// Plain socket calls for the hostile clients, which must send what no client library would.
enum RawSocket {
    /// A connection to the Unix socket at `path`; nil when refused.
    static func connect(_ path: String) -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let ok = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if ok != 0 { close(fd); return nil }
        return fd
    }

    /// Sends every byte; false when the peer is gone.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    /// Reads until the peer closes or `timeout` passes; returns (bytes read, closed by peer).
    static func drain(_ fd: Int32, timeout: Double) -> (Int, Bool) {
        let deadline = Date() + timeout
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            var events = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&events, 1, 100) >= 0 else { continue }
            if events.revents == 0 { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { total += n } else if n == 0 || errno != EINTR { return (total, true) }
        }
        return (total, false)
    }
}
