import Glibc

/// The transport floor: a server that sends back every byte it receives, one thread per
/// connection. A NUL-framed call comes back as a NUL-framed "reply" after one read and
/// one write, which is the least any Varlink server on a Unix socket can do.
enum EchoServer {
    /// Serves at `path` until killed, or at the latest after `lifetimeSeconds`.
    static func serve(at path: String, lifetimeSeconds: UInt32) throws(BenchError) -> Never {
        let listener = try BenchSocket.listen(at: path)
        alarm(lifetimeSeconds)   // SIGALRM ends the process: no server outlives the benchmark
        while true {
            let client = accept(listener.fd, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                throw .system("accept")
            }
            spawnEchoThread(fd: client)
        }
    }

    private static func spawnEchoThread(fd: Int32) {
        if startThread(detached: true, { echo(fd: fd) }) == nil { close(fd) }
    }

    /// Writes back what arrives until the peer closes.
    private static func echo(fd: Int32) {
        let socket = BenchSocket(fd: fd)
        defer { socket.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer { buffer.deallocate() }
        while let count = try? socket.receive(into: buffer), count > 0 {
            guard (try? socket.sendAll(UnsafeRawBufferPointer(rebasing: buffer[..<count]))) != nil else { return }
        }
    }
}
