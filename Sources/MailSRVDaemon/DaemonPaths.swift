import FoundationEssentials
import Glibc
import MailSRVInterface
import Resolver

/// The daemon's socket and directories (DESIGN.md §6): flags and the config file first,
/// then systemd's `RUNTIME_DIRECTORY` / `STATE_DIRECTORY` / `CACHE_DIRECTORY`, then the
/// XDG directories of a user started by hand (root: `/run`, `/var/lib`, `/var/cache`).
public struct DaemonPaths: Sendable, Equatable {
    public var socket: String
    public var stateDirectory: String
    public var cacheDirectory: String
    /// The `resolv.conf` followed when no upstream is configured (tests may point it elsewhere).
    public var resolvConf = ResolvConf.systemPath

    public init(_ configuration: DaemonConfiguration, environment: [String: String], uid: UInt32 = getuid()) {
        let home = environment["HOME"] ?? "/"
        func systemd(_ name: String) -> String? {
            // systemd may list several directories separated by ':'; the first is ours.
            environment[name].flatMap { $0.split(separator: ":").first.map(String.init) }
        }
        func xdg(_ name: String, _ fallback: String, root: String) -> String {
            if uid == 0 && environment[name] == nil { return root }
            return (environment[name].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/\(fallback)") + "/mailsrvd"
        }
        socket = configuration.socketPath
            ?? systemd("RUNTIME_DIRECTORY").map { "\($0)/\(SocketLocation.fileName)" }
            ?? SocketLocation.daemonDefault(environment: environment, uid: uid)
        stateDirectory = configuration.stateDirectory ?? systemd("STATE_DIRECTORY")
            ?? xdg("XDG_STATE_HOME", ".local/state", root: "/var/lib/mailsrvd")
        cacheDirectory = configuration.cacheDirectory ?? systemd("CACHE_DIRECTORY")
            ?? xdg("XDG_CACHE_HOME", ".cache", root: "/var/cache/mailsrvd")
    }

    public var cacheFile: URL { URL(fileURLWithPath: cacheDirectory).appendingPathComponent("cache.json") }
    public var pinFile: URL { URL(fileURLWithPath: stateDirectory).appendingPathComponent("pins.json") }
    public var trustFile: URL { URL(fileURLWithPath: stateDirectory).appendingPathComponent("trust.json") }
}
