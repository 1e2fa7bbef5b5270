import Glibc
import SystemCall

/// A blocking, connected Unix stream socket: the thin layer of C calls under ``VarlinkClient``.
/// Every call goes through ``UnixSocket/retrying(_:_:)``, which retries `EINTR` and
/// turns `-1` into a typed error.
final class UnixSocket {
    private let descriptor: Int32

    /// Connects to `path`. The connect, and each later send or receive, waits at most
    /// `timeout` (`nil`: no limit).
    init(connectingTo path: String, timeout: Duration?) throws(VarlinkClientError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard !pathBytes.isEmpty, pathBytes.count < MemoryLayout.size(ofValue: address.sun_path),
            !pathBytes.contains(0)
        else { throw .invalidPath(path) }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + pathBytes.count + 1)

        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let descriptor = Int32(try Self.retrying("socket") { Int(socket(AF_UNIX, type, 0)) })
        do {
            if let timeout {
                try Self.setTimeout(timeout, option: SO_RCVTIMEO, on: descriptor)
                try Self.setTimeout(timeout, option: SO_SNDTIMEO, on: descriptor)  // also bounds connect
            }
            _ = try Self.retrying("connect") {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Int(connect(descriptor, $0, length)) }
                }
            }
        } catch {
            _ = close(descriptor)
            guard case .systemCall(_, let code) = error else { throw error }
            switch code {
            case ENOENT, ENOTDIR: throw .noSuchSocket(path: path)
            case ECONNREFUSED: throw .connectionRefused(path: path)
            case EACCES, EPERM: throw .permissionDenied(path: path)
            default: throw error
            }
        }
        self.descriptor = descriptor
    }

    deinit {
        _ = close(self.descriptor)
    }

    /// Sends all of `bytes`.
    func send(_ bytes: [UInt8]) throws(VarlinkClientError) {
        var sent = 0
        while sent < bytes.count {
            // MSG_NOSIGNAL: a closed peer is an EPIPE error, not a SIGPIPE that kills the CLI.
            sent += try Self.retrying("send") {
                bytes.withUnsafeBytes { raw in
                    Glibc.send(self.descriptor, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                }
            }
        }
    }

    /// Receives up to `capacity` bytes; an empty result means the peer closed.
    func receive(capacity: Int) throws(VarlinkClientError) -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count throws(VarlinkClientError) in
            count = try Self.retrying("recv") { recv(self.descriptor, buffer.baseAddress, capacity, 0) }
        }
    }

    private static func setTimeout(_ timeout: Duration, option: Int32, on descriptor: Int32) throws(VarlinkClientError) {
        let (seconds, attoseconds) = timeout.components
        // A zero timeval means "no limit": wait at least a microsecond.
        let microseconds = max(seconds == 0 ? 1 : 0, Int(attoseconds / 1_000_000_000_000))
        var value = timeval(tv_sec: Int(seconds), tv_usec: microseconds)
        _ = try Self.retrying("setsockopt") {
            Int(setsockopt(descriptor, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size)))
        }
    }

    /// Runs a system call until it does not fail with `EINTR` (``untilNotInterrupted(_:)``);
    /// on `-1`, throws ``VarlinkClientError/timedOut`` for `EAGAIN` (a socket timeout
    /// expired), ``VarlinkClientError/connectionClosed`` for `EPIPE`/`ECONNRESET`, else the errno.
    private static func retrying(_ name: String, _ body: () -> Int) throws(VarlinkClientError) -> Int {
        let result = untilNotInterrupted(body)
        if result != -1 { return result }
        switch errno {
        case EAGAIN, EWOULDBLOCK: throw .timedOut
        case EPIPE, ECONNRESET: throw .connectionClosed
        case let code: throw .systemCall(name, errno: code)
        }
    }
}
