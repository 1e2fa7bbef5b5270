import Glibc

/// A TCP address that drops SYNs, without root: a socket that listens with a backlog of 0
/// and never accepts, its accept queue filled by connections of its own. A client
/// connecting to it waits until its own timeout, as with a dead host.
public final class Blackhole: @unchecked Sendable {
    public let address: String
    public let port: UInt16
    private var descriptors: [Int32]

    /// Opens the blackhole on `address` (e.g. `127.0.0.31`) and a free port.
    public init(address: String) throws {
        self.address = address
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw MailHarnessError("socket: errno \(errno)") }
        var sa = ipv4SocketAddress(address, port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard bound, listen(listener, 0) == 0 else {
            Glibc.close(listener)
            throw MailHarnessError("blackhole on \(address): errno \(errno)")
        }
        port = UInt16(bigEndian: sa.sin_port)
        descriptors = [listener]
        // Fill the accept queue: connect until a connection no longer completes.
        while descriptors.count < 8 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            descriptors.append(fd)
            var target = ipv4SocketAddress(address, port: port)
            _ = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&pfd, 1, 300) == 0 { return }   // this SYN was dropped: the queue is full
        }
        close()
        throw MailHarnessError("the accept queue of \(address):\(port) did not fill")
    }

    /// Closes every socket (the address then refuses connections).
    public func close() {
        for fd in descriptors { Glibc.close(fd) }
        descriptors = []
    }

    deinit { close() }}
