import Glibc

/// Why a ``VarlinkClient`` could not connect or get a reply.
public enum VarlinkClientError: Error, Hashable, Sendable {
    /// Nothing exists at the socket path (`ENOENT`, `ENOTDIR`).
    case noSuchSocket(path: String)
    /// The socket file exists but nobody listens on it (`ECONNREFUSED`): a stale socket.
    case connectionRefused(path: String)
    /// The caller may not connect to the socket (`EACCES`, `EPERM`).
    case permissionDenied(path: String)
    /// The path does not fit in a `sockaddr_un`, or contains a NUL.
    case invalidPath(String)
    /// The server did not accept, take or answer in time.
    case timedOut
    /// The server closed the connection before a whole reply arrived.
    case connectionClosed
    /// A reply was larger than the client accepts.
    case replyTooLarge(limit: Int)
    /// The server sent something that is not a Varlink reply.
    case invalidReply(VarlinkMessageError)
    /// Another system call failure: the call's name and `errno`.
    case systemCall(String, errno: Int32)

    /// Whether this means no server is running at the path (so a CLI can say so).
    public var isServerNotRunning: Bool {
        switch self {
        case .noSuchSocket, .connectionRefused: true
        default: false
        }
    }
}

extension VarlinkClientError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .noSuchSocket(let path): "no socket at \(path)"
        case .connectionRefused(let path): "connection refused at \(path)"
        case .permissionDenied(let path): "permission denied to connect to \(path)"
        case .invalidPath(let path): "invalid socket path \(path)"
        case .timedOut: "timed out"
        case .connectionClosed: "the server closed the connection"
        case .replyTooLarge(let limit): "reply larger than \(limit) bytes"
        case .invalidReply(let error): "invalid reply: \(error)"
        case .systemCall(let name, let code): "\(name): \(String(cString: strerror(code)))"
        }
    }
}
