import Foundation
import Logging
import MailDiscovery
import MailSRVInterface
import NIOCore
import NIOPosix
import Resolver
import ServiceLifecycle
import Varlink

/// The daemon as one `Service`: builds the engine from its configuration, serves the
/// socket until a graceful shutdown (SIGTERM, SIGINT), then stops accepting, lets the
/// calls in flight finish (bounded), saves its state and returns.
public struct Daemon: Service {
    public static let version = "0.1.0"

    public let configuration: DaemonConfiguration
    public let paths: DaemonPaths
    public let listen: ListenTarget
    private let logger: Logger

    public init(configuration: DaemonConfiguration, paths: DaemonPaths, listen: ListenTarget, logger: Logger) {
        self.configuration = configuration
        self.paths = paths
        self.listen = listen
        self.logger = logger
    }

    /// The Varlink interface text, `io.mailsrvd.Discovery.varlink`, embedded at build time
    /// and served by `GetInterfaceDescription`.
    public static let interface = VarlinkInterface(
        name: DiscoveryInterface.name,
        description: String(decoding: PackageResources.io_mailsrvd_Discovery_varlink, as: UTF8.self))

    public static let info = VarlinkServiceInfo(vendor: "mailsrvd", product: "mailsrvd", version: version,
                                                url: "https://github.com/mailsrvd/mailsrvd", interfaces: [interface])

    public func run() async throws {
        let files = StateFiles(paths: paths, logger: logger)
        try files.prepareDirectories()
        let upstream = try UnboundResolver(configuration: configuration.resolver)
        defer { upstream.shutdown() }
        let resolver = CachingResolver(upstream: upstream, settings: configuration.cache)
        files.loadCache(into: resolver)

        var settings = DiscoverySettings()
        settings.retrievalOrder = configuration.retrievalOrder
        let discovery = Discovery(resolver: resolver, settings: settings)
        let limits = UserLimits(maxConnections: configuration.limits.connectionsPerUser,
                                maxCallsInFlight: configuration.limits.callsInFlightPerUser)
        let registry = LeaseRegistry(failureMemory: configuration.failureMemory,
                                     maxLeasesPerUID: configuration.limits.leasesPerUser)
        let service = DiscoveryService(discovery: discovery, registry: registry, limits: limits, logger: logger)
        files.loadPins(into: service, grace: configuration.pinGrace)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let server = try await SocketServer.start(target: listen, service: service, info: Self.info, limits: limits,
                                                  configuration: configuration, group: group, logger: logger)
        logger.notice("serving", metadata: ["socket": "\(paths.socket)", "version": "\(Self.version)"])

        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(configuration.saveInterval))
                guard !Task.isCancelled else { break }
                service.withRegistry { $0.prune(now: Date()) }
                files.savePins(of: service)
                files.saveCache(of: resolver)
            }
        }

        logger.notice("stopping")
        // Pins first: the leases that end because the daemon stops must not drop them.
        files.savePins(of: service)
        await server.stopAccepting()
        await limits.waitForCallsToFinish(atMost: .seconds(5))
        files.saveCache(of: resolver)
        try? await group.shutdownGracefully()
        logger.notice("stopped", metadata: ["cachedEntries": "\(resolver.cachedEntries)"])
    }
}
