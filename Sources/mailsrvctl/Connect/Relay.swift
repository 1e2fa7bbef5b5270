import Glibc

/// Moves bytes between the client (stdin, stdout) and the server until the session ends,
/// without blocking on either: one bounded buffer each way (a side that does not read makes
/// the other wait, nothing grows). EOF is passed on: the client's as a half-close to the
/// server (TLS close_notify, then TCP FIN), after which the server's remaining bytes are
/// still delivered for up to `linger`; the server's as the end of stdout, and the end.
struct Relay {
    static let bufferSize = 64 * 1024
    /// How long the server may take to finish after the client's EOF.
    static let linger: Duration = .seconds(10)

    let server: Transport
    let input: Int32 = 0
    let output: Int32 = 1

    /// Runs the session; `first` goes to the client before anything else.
    func run(first: [UInt8]) throws(TunnelError) {
        var down = ByteQueue(capacity: max(Self.bufferSize, first.count))   // server → client
        var up = ByteQueue(capacity: Self.bufferSize)                        // client → server
        down.append(first)
        var inputEnded = false, sentEnd = false, serverEnded = false
        var lingerUntil: ContinuousClock.Instant?
        var serverRead: IOStep = .wantRead, serverWrite: IOStep = .wantWrite
        var ready = (input: false, output: false)

        while true {
            // Server → down.
            if !serverEnded, down.room > 0 {
                serverRead = down.fill { server.read(into: $0) }
                switch serverRead {
                case .closed: serverEnded = true
                case .failed(let reason): throw .temporary("the connection to the server failed: \(reason)")
                default: break
                }
            }
            // Down → stdout.
            if ready.output {
                if case .failed = down.drain({ writeSome(output, $0) }) { return }   // the client went away
            }
            if serverEnded && down.isEmpty { return }
            // Stdin → up.
            if ready.input, !inputEnded, up.room > 0 {
                switch up.fill({ readSome(input, $0) }) {
                case .closed, .failed: inputEnded = true
                default: break
                }
            }
            // Up → server; then the client's EOF.
            if !up.isEmpty {
                serverWrite = up.drain { server.write($0) }
                if case .failed(let reason) = serverWrite {
                    throw .temporary("the connection to the server failed: \(reason)")
                }
            }
            if inputEnded, up.isEmpty, !sentEnd {
                let step = server.shutdownWrite()
                if step != .wantRead && step != .wantWrite {
                    sentEnd = true
                    lingerUntil = .now + Self.linger
                }
            }
            if let lingerUntil, ContinuousClock.now >= lingerUntil { return }

            // Wait for what blocked.
            var serverEvents: Int16 = 0
            if !serverEnded && down.room > 0 { serverEvents |= serverRead == .wantWrite ? Int16(POLLOUT) : Int16(POLLIN) }
            if !up.isEmpty { serverEvents |= serverWrite == .wantRead ? Int16(POLLIN) : Int16(POLLOUT) }
            if inputEnded && !sentEnd { serverEvents |= Int16(POLLOUT) }
            var fds = [pollfd(fd: serverEnded ? -1 : server.descriptor, events: serverEvents, revents: 0),
                       pollfd(fd: !inputEnded && up.room > 0 ? input : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: down.isEmpty ? -1 : output, events: Int16(POLLOUT), revents: 0)]
            var timeout: Int32 = -1
            if let lingerUntil {
                let left = lingerUntil - .now
                timeout = Int32(clamping: max(0, left.components.seconds * 1000 + 1))
            }
            if poll(&fds, 3, timeout) < 0 && errno != EINTR { throw .temporary("poll: \(String(cString: strerror(errno)))") }
            ready = (fds[1].revents != 0, fds[2].revents != 0)
        }
    }

}

/// Reads what is there from a client descriptor (a pipe, a socket, a terminal) that poll
/// said is readable.
private func readSome(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> IOStep {
    let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
    if n > 0 { return .moved(n) }
    if n == 0 { return .closed }
    return errno == EAGAIN || errno == EINTR ? .wantRead : .failed(String(cString: strerror(errno)))
}

/// Writes to a client descriptor that poll said is writable, without blocking: a socket
/// with MSG_DONTWAIT, anything else (a pipe) at most PIPE_BUF bytes, which a writable pipe takes.
private func writeSome(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> IOStep {
    var n = send(fd, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
    if n < 0 && errno == ENOTSOCK { n = Glibc.write(fd, bytes.baseAddress, min(bytes.count, Int(PIPE_BUF))) }
    if n > 0 { return .moved(n) }
    return errno == EAGAIN || errno == EINTR ? .wantWrite : .failed(String(cString: strerror(errno)))
}

/// A bounded FIFO of bytes.
struct ByteQueue {
    private var storage: [UInt8]
    private var start = 0, end = 0

    init(capacity: Int) { storage = [UInt8](repeating: 0, count: capacity) }

    var isEmpty: Bool { start == end }
    var room: Int { storage.count - end + start }

    mutating func append(_ bytes: [UInt8]) {
        compact()
        storage.replaceSubrange(end..<(end + bytes.count), with: bytes)
        end += bytes.count
    }

    /// Lets `read` put bytes into the free space.
    mutating func fill(_ read: (UnsafeMutableRawBufferPointer) -> IOStep) -> IOStep {
        compact()
        let (from, to) = (end, storage.count)
        let step = storage.withUnsafeMutableBytes { read(UnsafeMutableRawBufferPointer(rebasing: $0[from..<to])) }
        if case .moved(let n) = step { end += n }
        return step
    }

    /// Lets `write` take bytes from the front.
    mutating func drain(_ write: (UnsafeRawBufferPointer) -> IOStep) -> IOStep {
        let (from, to) = (start, end)
        let step = storage.withUnsafeBytes { write(UnsafeRawBufferPointer(rebasing: $0[from..<to])) }
        if case .moved(let n) = step { start += n }
        if start == end { (start, end) = (0, 0) }
        return step
    }

    private mutating func compact() {
        guard start > 0 else { return }
        storage.withUnsafeMutableBytes { bytes in
            _ = memmove(bytes.baseAddress!, bytes.baseAddress! + start, end - start)
        }
        (start, end) = (0, end - start)
    }
}
