import CSystemd
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Sockets passed by systemd socket activation (`sd_listen_fds_with_names(3)`).
public enum ListenFDs {
    /// The `FileDescriptorName=` of the listening socket in `mailsrvd.socket`.
    public static let varlinkName = "varlink"

    /// The `FileDescriptorName=` of the autoconfig socket in `mailsrvd-autoconfig.socket`.
    public static let autoconfigName = "autoconfig"

    /// The sockets systemd passed, by role.
    public struct Sockets: Equatable, Sendable {
        /// The listening Varlink socket; nil: bind the configured path.
        public var varlink: Int32?
        /// The listening TCP socket of the autoconfig endpoint; nil: none was passed.
        public var autoconfig: Int32?
    }

    /// The listening Varlink socket systemd passed, or nil when the process was not
    /// socket-activated (no `LISTEN_FDS`, or `LISTEN_PID` is another process). See
    /// ``sockets()``.
    public static func varlinkSocket() throws(ListenFDsError) -> Int32? {
        try sockets().varlink
    }

    /// The sockets systemd passed (`sd_listen_fds_with_names`).
    ///
    /// The fd named `autoconfig` is the autoconfig endpoint's and must be a listening TCP
    /// socket. Of the others, the fd named `varlink` is chosen; failing that, the single
    /// fd when exactly one was passed (`systemd-socket-activate` without `--fdname`, or a
    /// unit without `FileDescriptorName=`). `LISTEN_FDS`, `LISTEN_PID` and
    /// `LISTEN_FDNAMES` are unset by this call, so a second call returns nothing; the
    /// passed fds get `FD_CLOEXEC`.
    ///
    /// - Throws: `ListenFDsError` when fds were passed but cannot be served: several
    ///   fds besides `autoconfig` and none named `varlink`, the Varlink fd is not a
    ///   listening `AF_UNIX` stream socket, the `autoconfig` fd is not a listening TCP
    ///   socket, or `LISTEN_FDS` is malformed.
    public static func sockets() throws(ListenFDsError) -> Sockets {
        let passed = try takeAll()
        var result = Sockets()
        if let autoconfig = passed.first(where: { $0.name == autoconfigName }) {
            // Listening (1), stream, IPv4 or IPv6 (0), any port (0).
            guard sd_is_socket_inet(autoconfig.fd, 0, Int32(SOCK_STREAM.rawValue), 1, 0) > 0 else {
                throw .notAListeningTCPSocket(fd: autoconfig.fd, name: autoconfig.name)
            }
            result.autoconfig = autoconfig.fd
        }
        let others = passed.filter { $0.name != autoconfigName }
        guard !others.isEmpty else { return result }
        let chosen: (fd: Int32, name: String)
        if let named = others.first(where: { $0.name == varlinkName }) {
            chosen = named
        } else if others.count == 1 {
            chosen = others[0]
        } else {
            throw .noVarlinkSocket(names: others.map(\.name))
        }
        // Listening (1), stream, Unix: what a `ListenStream=/path` socket unit passes.
        guard sd_is_socket(chosen.fd, AF_UNIX, Int32(SOCK_STREAM.rawValue), 1) > 0 else {
            throw .notAListeningUnixStreamSocket(fd: chosen.fd, name: chosen.name)
        }
        result.varlink = chosen.fd
        return result
    }

    /// Every fd passed, with its name (systemd's default name is "unknown"), unsetting
    /// the `LISTEN_*` variables.
    public static func takeAll() throws(ListenFDsError) -> [(fd: Int32, name: String)] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        let count = sd_listen_fds_with_names(1, &names)
        defer {
            if let names {
                var index = 0
                while let name = names[index] {
                    free(name)
                    index += 1
                }
                free(names)
            }
        }
        guard count >= 0 else { throw .invalidEnvironment(errno: -count) }
        return (0..<Int(count)).map { index in
            let name = names?[index].map { String(cString: $0) } ?? "unknown"
            return (fd: Int32(SD_LISTEN_FDS_START) + Int32(index), name: name)
        }
    }
}

/// Why the passed sockets cannot be served.
public enum ListenFDsError: Error, Equatable, CustomStringConvertible {
    /// `sd_listen_fds_with_names` failed (e.g. `LISTEN_FDS` is not a number).
    case invalidEnvironment(errno: Int32)
    /// Several fds were passed and none is named `varlink`.
    case noVarlinkSocket(names: [String])
    /// The fd to serve is not a listening Unix stream socket.
    case notAListeningUnixStreamSocket(fd: Int32, name: String)
    /// The fd named `autoconfig` is not a listening TCP socket.
    case notAListeningTCPSocket(fd: Int32, name: String)

    public var description: String {
        switch self {
        case .invalidEnvironment(let code):
            return "socket activation: LISTEN_FDS/LISTEN_FDNAMES cannot be read: \(String(cString: strerror(code)))"
        case .noVarlinkSocket(let names):
            return "socket activation: \(names.count) sockets passed (\(names.joined(separator: ", "))), "
                + "none named '\(ListenFDs.varlinkName)' (FileDescriptorName=\(ListenFDs.varlinkName) in the socket unit)"
        case .notAListeningUnixStreamSocket(let fd, let name):
            return "socket activation: fd \(fd) ('\(name)') is not a listening AF_UNIX stream socket "
                + "(the socket unit needs ListenStream=/path and Accept=no)"
        case .notAListeningTCPSocket(let fd, let name):
            return "socket activation: fd \(fd) ('\(name)') is not a listening TCP socket "
                + "(the socket unit needs ListenStream=ADDR:PORT and Accept=no)"
        }
    }
}
