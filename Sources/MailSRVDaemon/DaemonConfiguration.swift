import Logging
import MailDiscovery
import Resolver

/// Everything the daemon can be told, with DESIGN.md's defaults. Built from defaults, then
/// the config file (`ConfigFile`), then command-line flags, each overriding the one before.
public struct DaemonConfiguration: Sendable, Equatable {
    /// Unix socket to bind; nil: `SocketLocation.daemonDefault`. Unused under socket activation.
    public var socketPath: String?
    /// Pins are written here (`STATE_DIRECTORY`, else `$XDG_STATE_HOME/mailsrvd`).
    public var stateDirectory: String?
    /// The DNS cache is written here (`CACHE_DIRECTORY`, else `$XDG_CACHE_HOME/mailsrvd`).
    public var cacheDirectory: String?
    public var logLevel: String = "info"
    /// `AutoconfigListen`: where the autoconfig endpoint listens; nil: off (unless systemd
    /// passes a socket named `autoconfig`).
    public var autoconfigListen: AutoconfigAddress?
    /// `logLevel` as swift-log's level (`ConfigFile` and the flag accept only valid names).
    public var loggerLevel: Logger.Level { Logger.Level(rawValue: logLevel) ?? .info }

    /// Upstreams, DNSSEC mode, trust anchor, query timeout.
    public var resolver = ResolverConfiguration()
    /// `CacheMaxNames`, negative-answer cap, `StaleMaxAge`.
    public var cache = CacheSettings()
    /// `RetrievalOrder`.
    public var retrievalOrder: RetrievalOrder = .imapFirst

    /// `FailureMemory`: how long a failed (host, address) is avoided for its uid.
    public var failureMemory: Double = 600
    /// `PinGrace`: how long a pin restored after a restart waits for its uid.
    public var pinGrace: Double = 120
    /// `SaveInterval`: how often cache and pins are written while running.
    public var saveInterval: Double = 300

    public var limits = Limits()

    /// Per-uid limits that keep one user from hurting the others (DESIGN.md §5).
    public struct Limits: Sendable, Equatable {
        public var connectionsPerUser = 512
        public var leasesPerUser = 1024
        public var callsInFlightPerUser = 64
        /// Largest message accepted, in bytes.
        public var maxMessageSize = 64 * 1024
        /// A connection that sends part of a message and then nothing for this long is closed.
        public var idleTimeout: Double = 60
        public init() {}
    }

    public init() {}
}
