import FoundationEssentials
import Logging
import MailDiscovery
import Resolver
import Synchronization
import Systemd

/// Everything the daemon builds from its configuration: resolver, cache, discovery, pins
/// and the Varlink service. `Daemon` serves it; `apply(_:)` takes a reloaded configuration.
final class Engine: Sendable {
    let upstream: ReloadableUpstream
    let resolver: CachingResolver
    let limits: UserLimits
    let service: DiscoveryService
    let files: StateFiles
    private let configuration: Mutex<DaemonConfiguration>
    private let logger: Logger

    /// Builds the engine and loads the saved cache and pins.
    init(configuration: DaemonConfiguration, paths: DaemonPaths, logger: Logger) throws {
        files = StateFiles(paths: paths, logger: logger)
        try files.prepareDirectories()
        upstream = ReloadableUpstream(try UnboundResolver(configuration: configuration.resolver))
        resolver = CachingResolver(upstream: upstream, settings: configuration.cache)
        var settings = DiscoverySettings()
        settings.retrievalOrder = configuration.retrievalOrder
        limits = UserLimits(maxConnections: configuration.limits.connectionsPerUser,
                            maxCallsInFlight: configuration.limits.callsInFlightPerUser)
        service = DiscoveryService(
            discovery: Discovery(resolver: resolver, settings: settings),
            registry: LeaseRegistry(failureMemory: configuration.failureMemory,
                                    maxLeasesPerUID: configuration.limits.leasesPerUser),
            limits: limits, logger: logger)
        self.configuration = Mutex(configuration)
        self.logger = logger
        files.loadCache(into: resolver)
        files.loadPins(into: service, grace: configuration.pinGrace)
    }

    /// The one-line state for `systemctl status`.
    var statusText: String {
        let leases = service.withRegistry { $0.totalLeases }
        return "Serving \(limits.totalConnections) client(s), \(leases) lease(s), \(resolver.cachedEntries) cached name(s)"
    }

    /// Takes a reloaded configuration: upstreams, DNSSEC, trust anchor, timeout, limits,
    /// failure memory and log level change at once, without dropping clients, leases or cache.
    /// Settings that only a restart can change are named in a warning.
    func apply(_ new: DaemonConfiguration) throws {
        let old = configuration.withLock { $0 }
        if new.resolver != old.resolver {
            upstream.replace(with: try UnboundResolver(configuration: new.resolver))
        }
        limits.update(maxConnections: new.limits.connectionsPerUser, maxCallsInFlight: new.limits.callsInFlightPerUser)
        service.withRegistry { registry in
            registry.failureMemory = new.failureMemory
            registry.maxLeasesPerUID = new.limits.leasesPerUser
        }
        SharedLogLevel.process.level = new.loggerLevel
        var needsRestart = new
        needsRestart.resolver = old.resolver
        needsRestart.limits = old.limits
        needsRestart.failureMemory = old.failureMemory
        needsRestart.logLevel = old.logLevel
        if needsRestart != old {
            logger.warning("some changed settings take effect only after a restart",
                           metadata: ["settings": "socket, directories, cache, RetrievalOrder, PinGrace, SaveInterval, message size, idle timeout"])
        }
        configuration.withLock { $0 = new }
        logger.notice("configuration reloaded", metadata: ["upstreams": "\(new.resolver.upstreams)",
                                                           "dnssec": "\(new.resolver.dnssec.rawValue)",
                                                           "logLevel": "\(new.logLevel)"])
    }

    /// Writes pins and cache (periodically and on stop).
    func save() {
        service.withRegistry { $0.prune(now: Date()) }
        files.savePins(of: service)
        files.saveCache(of: resolver)
    }
}
