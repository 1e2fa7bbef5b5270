#if canImport(Glibc)
import Glibc
#endif

/// Where the daemon's socket is (PROTOCOL.md, Transport).
public enum SocketLocation {
    /// The file name of the socket in its directory.
    public static let fileName = DiscoveryInterface.name
    /// The system instance's socket.
    public static let system = "/run/mailsrvd/\(fileName)"

    /// The socket an unprivileged instance started by hand binds by default:
    /// `$XDG_RUNTIME_DIR/mailsrvd/…`; nil when `XDG_RUNTIME_DIR` is not set.
    public static func user(environment: [String: String]) -> String? {
        guard let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty else { return nil }
        return "\(runtime)/mailsrvd/\(fileName)"
    }

    /// The daemon's default: the system socket for root (or whoever has no runtime
    /// directory), the user socket otherwise.
    public static func daemonDefault(environment: [String: String], uid: UInt32 = getuid()) -> String {
        if uid == 0 { return system }
        return user(environment: environment) ?? system
    }

    /// A client's default: `MAILSRVD_SOCKET`, else the user's own daemon when its socket
    /// exists, else the system daemon.
    public static func clientDefault(environment: [String: String]) -> String {
        if let explicit = environment["MAILSRVD_SOCKET"], !explicit.isEmpty { return explicit }
        if let user = user(environment: environment), access(user, F_OK) == 0 { return user }
        return system
    }
}
