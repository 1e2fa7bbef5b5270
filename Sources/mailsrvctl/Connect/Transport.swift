import Glibc

/// What one non-blocking step on a connection did.
enum IOStep: Equatable {
    /// Moved this many bytes (never 0).
    case moved(Int)
    /// Try again when the socket is readable / writable.
    case wantRead, wantWrite
    /// The peer ended its side (EOF, or TLS close_notify).
    case closed
    case failed(String)
}

/// A connection to a mail server, plain or under TLS, on a non-blocking socket.
protocol Transport: AnyObject {
    var descriptor: Int32 { get }
    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOStep
    func write(_ bytes: UnsafeRawBufferPointer) -> IOStep
    /// Ends our sending side (half-close); reading goes on.
    func shutdownWrite() -> IOStep
    func close()
}

/// A TCP connection without TLS (`--raw`, and the plaintext part before STARTTLS).
final class PlainTransport: Transport {
    let descriptor: Int32

    init(descriptor: Int32) { self.descriptor = descriptor }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOStep {
        let n = recv(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
        if n > 0 { return .moved(n) }
        if n == 0 { return .closed }
        return errno == EAGAIN || errno == EINTR ? .wantRead : .failed(String(cString: strerror(errno)))
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> IOStep {
        let n = send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
        if n > 0 { return .moved(n) }
        return errno == EAGAIN || errno == EINTR ? .wantWrite : .failed(String(cString: strerror(errno)))
    }

    func shutdownWrite() -> IOStep {
        Glibc.shutdown(descriptor, Int32(SHUT_WR)) == 0 ? .moved(1) : .failed(String(cString: strerror(errno)))
    }

    func close() { Glibc.close(descriptor) }
}
