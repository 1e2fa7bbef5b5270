import Glibc

/// One daemon per state directory and per socket (issue 11): a second `mailsrvd` started on
/// the same paths refuses to start instead of taking the socket over and overwriting the
/// first one's pins.
enum InstanceLock {
    /// Takes an exclusive `flock` on `DIRECTORY/mailsrvd.lock` (the directory is made, mode
    /// 0700, when missing), held until the process exits (the descriptor is never closed).
    /// Throws ``AnotherInstance`` when a running daemon holds it.
    static func lockStateDirectory(_ directory: String) throws {
        try makeDirectory(directory, mode: 0o700)
        let path = directory + "/mailsrvd.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw SocketSetupError(path: path, errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            close(descriptor)
            if error == EWOULDBLOCK { throw AnotherInstance(what: "the state directory \(directory)") }
            throw SocketSetupError(path: path, errno: error)
        }
    }

    /// Removes a socket file left by a daemon that is gone, so that it can be bound again.
    /// A socket something accepts connections on is never removed: ``AnotherInstance``.
    static func removeStaleSocket(at path: String) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }  // nothing there
        guard status.st_mode & S_IFMT == S_IFSOCK else { return }  // not ours: bind says why
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { throw SocketSetupError(path: path, errno: errno) }
        defer { close(probe) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw SocketSetupError(path: path, errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        let error = errno
        switch (connected, error) {
        case (0, _), (_, EAGAIN):  // accepted, or a live socket with a full backlog
            throw AnotherInstance(what: "the socket \(path)")
        case (_, ECONNREFUSED):  // nobody listens: left by a daemon that was killed
            guard unlink(path) == 0 || errno == ENOENT else { throw SocketSetupError(path: path, errno: errno) }
        case (_, ENOENT):
            return
        default:
            throw SocketSetupError(path: path, errno: error)
        }
    }
}

/// Another `mailsrvd` is running on the same state directory or socket.
public struct AnotherInstance: Error, CustomStringConvertible {
    public var what: String
    public var description: String { "another mailsrvd is running on \(what); not starting a second one" }
}
