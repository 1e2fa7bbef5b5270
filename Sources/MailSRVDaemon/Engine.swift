import FoundationEssentials
import Logging
import MailDiscovery
import Resolver
import Synchronization
import Systemd

/// The daemon's object graph — upstream, cache, discovery, pins and leases, the Varlink
/// service — built in one place from its configuration, upstream, clock and paths.
/// `mailsrvd` (through `Daemon`), the in-process tests, `mailsrvbench inprocess` and the
/// varlink fuzz target all build it here. `Daemon` serves it; `apply(_:)` takes a reloaded
/// configuration.
public final class Engine: Sendable {
    /// Makes the upstream resolver from the resolver settings; called again by a reload
    /// that changes them.
    public typealias UpstreamFactory = @Sendable (ResolverConfiguration) throws -> any DaemonUpstream

    /// libunbound with the configured upstreams: the daemon's upstream.
    public static let unbound: UpstreamFactory = { try UnboundResolver(configuration: $0) }

    let upstreams: UpstreamSelection
    public let resolver: CachingResolver
    public let limits: UserLimits
    /// Leases, pins, failure marks and confirmations.
    public let book: LeaseBook
    public let service: DiscoveryService
    let files: StateFiles
    /// What the connection limits are derived from, besides the configuration.
    let descriptors: DescriptorBudget
    private let configuration: Mutex<DaemonConfiguration>
    private let logger: Logger

    /// Builds the daemon and loads its saved cache and pins from `paths`.
    ///
    /// - Parameters:
    ///   - descriptors: The descriptor limit the connection limits are derived from.
    ///   - host: This host's facts for the order (client host name, address families);
    ///     the retrieval order comes from `configuration`.
    public init(configuration: DaemonConfiguration, paths: DaemonPaths, upstream: @escaping UpstreamFactory = Engine.unbound,
                time: any TimeSource = SystemTime(), host: DiscoverySettings = DiscoverySettings(),
                descriptors: DescriptorBudget = .unlimited, logger: Logger) throws {
        files = StateFiles(paths: paths, time: time, logger: logger)
        try files.prepareDirectories()
        self.descriptors = descriptors
        upstreams = try UpstreamSelection(configuration.resolver, resolvConf: paths.resolvConf, make: upstream,
                                          logger: logger)
        resolver = CachingResolver(upstream: upstreams.upstream, time: time, settings: configuration.cache)
        var settings = host
        settings.retrievalOrder = configuration.retrievalOrder
        limits = UserLimits(maxConnections: descriptors.connectionsPerUser(configured: configuration.limits.connectionsPerUser),
                            maxCallsInFlight: configuration.limits.callsInFlightPerUser,
                            maxTotalConnections: descriptors.connections)
        let discovery = Discovery(resolver: resolver, settings: settings)
        book = LeaseBook(discovery: discovery,
                         registry: LeaseRegistry(failureMemory: configuration.failureMemory,
                                                 maxLeasesPerUID: configuration.limits.leasesPerUser),
                         trust: files.loadTrust(), saveTrust: { [files] in files.saveTrust($0) }, time: time)
        service = DiscoveryService(book: book, limits: limits, time: time, logger: logger)
        self.configuration = Mutex(configuration)
        self.logger = logger
        files.loadCache(into: resolver)
        files.loadPins(into: book, grace: configuration.pinGrace)
        upstreams.follow { discovery.upstreamsChanged() }
    }

    /// The one-line state for `systemctl status`.
    var statusText: String {
        "Serving \(limits.totalConnections) client(s), \(book.totalLeases) lease(s), \(resolver.cachedEntries) cached name(s)"
    }

    /// Takes a reloaded configuration: upstreams (answers of servers no longer asked are
    /// forgotten as fresh), DNSSEC, trust anchor, timeout, limits,
    /// failure memory and log level change at once, without dropping clients, leases or cache.
    /// Changed settings that only a restart can change are named in a warning.
    func apply(_ new: DaemonConfiguration) throws {
        let old = configuration.withLock { $0 }
        if new.resolver != old.resolver {
            try upstreams.apply(new.resolver)
        }
        limits.update(maxConnections: descriptors.connectionsPerUser(configured: new.limits.connectionsPerUser),
                      maxCallsInFlight: new.limits.callsInFlightPerUser)
        book.update(failureMemory: new.failureMemory, maxLeasesPerUID: new.limits.leasesPerUser)
        SharedLogLevel.process.level = new.loggerLevel
        let needsRestart = new.restartOnlyChanges(from: old)
        if !needsRestart.isEmpty {
            logger.warning("some changed settings take effect only after a restart",
                           metadata: ["settings": "\(needsRestart.joined(separator: ", "))"])
        }
        configuration.withLock { $0 = new }
        logger.notice("configuration reloaded", metadata: ["upstreams": "\(new.resolver.upstreams)",
                                                           "dnssec": "\(new.resolver.dnssec.rawValue)",
                                                           "logLevel": "\(new.logLevel)"])
    }

    /// Writes pins and cache (periodically and on stop).
    func save() {
        book.prune()
        files.savePins(of: book)
        files.saveCache(of: resolver)
    }

    /// Stops following resolv.conf and stops the upstream: queries still in flight fail.
    public func shutdown() {
        upstreams.shutdown()
    }
}
