import Glibc

/// A blocking Unix stream socket as a plain file descriptor: the few system calls the
/// benchmark needs, with `EINTR` retried and failures turned into `BenchError`.
struct BenchSocket {
    let fd: Int32

    /// Connects to the stream socket at `path`, with send and receive timeouts of
    /// `timeoutSeconds` so that a stuck server cannot hang the benchmark.
    static func connect(to path: String, timeoutSeconds: Int = 10) throws(BenchError) -> BenchSocket {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = try unixAddress(path)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            _ = Glibc.close(fd)
            throw .system("connect \(path)")
        }
        return BenchSocket(fd: fd)
    }

    /// Binds and listens on a stream socket at `path` (an old file there is removed).
    static func listen(at path: String) throws(BenchError) -> BenchSocket {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket") }
        var address = try unixAddress(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, Glibc.listen(fd, 256) == 0 else { throw .system("bind \(path)") }
        return BenchSocket(fd: fd)
    }

    /// A `sockaddr_un` for `path`.
    static func unixAddress(_ path: String) throws(BenchError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw .usage("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        return address
    }

    /// Sends every byte of `bytes`.
    func sendAll(_ bytes: UnsafeRawBufferPointer) throws(BenchError) {
        var sent = 0
        while sent < bytes.count {
            let n = send(fd, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            if n < 0 {
                if errno == EINTR { continue }
                throw .system("send")
            }
            sent += n
        }
    }

    /// Sends every byte of `bytes`.
    func sendAll(_ bytes: [UInt8]) throws(BenchError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system("send")
            }
            sent += n
        }
    }

    /// Receives up to `buffer.count` bytes; 0 means the peer closed.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws(BenchError) -> Int {
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw .system("recv")
        }
    }

    func close() { _ = Glibc.close(fd) }
}

/// Reads NUL-terminated messages from a socket into one reusable buffer, so that the
/// generator's own cost per reply is a `recv` and a scan for the NUL.
struct MessageReader {
    private var buffer: UnsafeMutableRawBufferPointer
    /// Bytes received but not yet consumed: `buffer[start..<end]`.
    private var start = 0
    private var end = 0

    init(capacity: Int = 1 << 20) {
        buffer = .allocate(byteCount: capacity, alignment: 1)
    }

    func deallocate() { buffer.deallocate() }

    /// Consumes one message; returns its length and whether it is a Varlink error reply
    /// (it contains `"error":`).
    mutating func next(from socket: BenchSocket) throws(BenchError) -> (length: Int, isError: Bool) {
        var scanned = start
        while true {
            if let nul = (scanned..<end).first(where: { buffer[$0] == 0 }) {
                let message = UnsafeRawBufferPointer(rebasing: buffer[start..<nul])
                let isError = Self.containsErrorKey(message)
                let length = nul - start
                start = nul + 1
                return (length, isError)
            }
            scanned = end
            if start > 0 {   // move the unfinished message to the front
                let pending = end - start
                if pending > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: pending) }
                scanned -= start
                (start, end) = (0, pending)
            }
            guard end < buffer.count else { throw .protocolError("message larger than \(buffer.count) bytes") }
            let n = try socket.receive(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
            guard n > 0 else { throw .protocolError("connection closed by the server") }
            end += n
        }
    }

    private static let errorKey = Array("\"error\":".utf8)

    /// Whether `message` contains `"error":` (a Varlink error reply; the echo server's
    /// echo of a call never does).
    private static func containsErrorKey(_ message: UnsafeRawBufferPointer) -> Bool {
        let key = errorKey
        guard message.count >= key.count else { return false }
        for offset in 0...(message.count - key.count) where message[offset] == key[0] {
            if (1..<key.count).allSatisfy({ message[offset + $0] == key[$0] }) { return true }
        }
        return false
    }
}

enum BenchError: Error, CustomStringConvertible {
    case system(String)
    case usage(String)
    case protocolError(String)

    var description: String {
        switch self {
        case .system(let call): "\(call): \(String(cString: strerror(errno)))"
        case .usage(let text): text
        case .protocolError(let text): text
        }
    }
}

/// Monotonic time in nanoseconds.
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
