import FoundationEssentials
import Logging
import MailDiscovery
import MailSRVInterface
import NIOCore
import NIOPosix
import ServiceLifecycle
import Systemd
import UnixSignals
import Varlink

/// The daemon as one `Service`: builds the engine, serves the socket, tells systemd
/// (READY, STATUS, WATCHDOG, RELOADING on SIGHUP), and on a graceful shutdown (SIGTERM,
/// SIGINT) writes the pins first, stops accepting, lets calls in flight finish (bounded),
/// writes the cache and returns.
public struct Daemon: Service {
    public static let version = "0.1.0"

    /// The Varlink interface, served by `GetInterfaceDescription`.
    public static let interface = VarlinkInterface(name: DiscoveryInterface.name, description: DiscoveryInterface.text)

    public static let info = VarlinkServiceInfo(vendor: "mailsrvd", product: "mailsrvd", version: version,
                                                url: "https://github.com/mailsrvd/mailsrvd", interfaces: [interface])

    public let configuration: DaemonConfiguration
    public let paths: DaemonPaths
    public let listen: ListenTarget
    /// The autoconfig endpoint's socket passed by systemd (it wins over `AutoconfigListen`).
    public let autoconfigSocket: Int32?
    /// Reads the configuration again (file and flags), for SIGHUP.
    public let reloadConfiguration: @Sendable () throws -> DaemonConfiguration
    private let logger: Logger
    private let notifier = SystemdNotifier()

    public init(configuration: DaemonConfiguration, paths: DaemonPaths, listen: ListenTarget,
                autoconfigSocket: Int32? = nil, logger: Logger,
                reloadConfiguration: @escaping @Sendable () throws -> DaemonConfiguration) {
        self.configuration = configuration
        self.paths = paths
        self.listen = listen
        self.autoconfigSocket = autoconfigSocket
        self.logger = logger
        self.reloadConfiguration = reloadConfiguration
    }

    public func run() async throws {
        // Before any state is read: a second daemon on this state directory stops here.
        try InstanceLock.lockStateDirectory(paths.stateDirectory)
        let descriptors = DescriptorBudget.raisingSoftLimit()
        let engine = try Engine(configuration: configuration, paths: paths, descriptors: descriptors, logger: logger)
        defer { engine.shutdown() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let server = try await SocketServer.start(target: listen, service: engine.service, info: Self.info,
                                                  limits: engine.limits, configuration: configuration,
                                                  group: group, logger: logger)
        let autoconfig = try await startAutoconfig(engine, group: group)
        let watchdog = startWatchdog(on: group.next())
        // Trap SIGHUP before READY=1: from then on `systemctl reload` may come at any time.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        notifier.ready(status: engine.statusText)
        logger.notice("serving", metadata: [
            "socket": "\(listen.description(paths))", "version": "\(Self.version)",
            "descriptors": "\(descriptors.limit)", "connections": "\(descriptors.connections)",
            "connectionsPerUser": "\(descriptors.connectionsPerUser(configured: configuration.limits.connectionsPerUser))",
        ])

        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { tasks in
                tasks.addTask { await every(.seconds(configuration.saveInterval)) { engine.save() } }
                tasks.addTask { await every(.seconds(5)) { notifier.status(engine.statusText) } }
                tasks.addTask { await reload(engine, on: hangups) }
            }
        }

        notifier.stopping()
        // Writing a large cache may take a while: ask systemd not to kill us meanwhile.
        notifier.extendTimeout(by: .seconds(15))
        logger.notice("stopping")
        // Pins first: the leases that end because the daemon stops must not drop them.
        engine.files.savePins(of: engine.book)
        await server.stopAccepting()
        await autoconfig?.stop()
        await engine.limits.waitForCallsToFinish(atMost: .seconds(5))
        engine.files.saveCache(of: engine.resolver)
        watchdog?.cancel()
        // Bounded: a connection that does not close must not keep the process alive.
        await withTimeout(.seconds(3)) { try? await group.shutdownGracefully() }
        logger.notice("stopped", metadata: ["cachedEntries": "\(engine.resolver.cachedEntries)"])
    }

    /// The autoconfig endpoint, when systemd passed its socket or `AutoconfigListen` is set.
    private func startAutoconfig(_ engine: Engine, group: any EventLoopGroup) async throws -> AutoconfigServer? {
        guard let target = autoconfigSocket.map({ AutoconfigTarget.inherited(fd: $0) })
            ?? configuration.autoconfigListen.map({ AutoconfigTarget.address($0) }) else { return nil }
        let server = try await AutoconfigServer.start(target: target, discovery: engine.service.discovery,
                                                      group: group, logger: logger)
        logger.notice("serving autoconfig", metadata: ["address": "\(server.localAddress)"])
        return server
    }

    /// Pings systemd's watchdog from an event loop of the server, so that a hung loop stops
    /// the pings; nil when the watchdog is off.
    private func startWatchdog(on loop: any EventLoop) -> RepeatedTask? {
        guard let interval = notifier.watchdogInterval else { return nil }
        let nanoseconds = interval.components.seconds * 1_000_000_000 + interval.components.attoseconds / 1_000_000_000
        return loop.scheduleRepeatedTask(initialDelay: .zero, delay: .nanoseconds(nanoseconds)) { [notifier] _ in
            notifier.watchdogPing()
        }
    }

    private func reload(_ engine: Engine, on hangups: UnixSignalsSequence) async {
        for await _ in hangups {
            notifier.reloading()
            do {
                try engine.apply(try reloadConfiguration())
            } catch {
                logger.error("reload failed, keeping the current configuration", metadata: ["error": "\(error)"])
            }
            notifier.ready(status: engine.statusText)
        }
    }
}

/// Runs `body`, giving up on it after `limit`.
private func withTimeout(_ limit: Duration, _ body: @escaping @Sendable () async -> Void) async {
    await withTaskGroup(of: Void.self) { group in
        group.addTask { await body() }
        group.addTask { try? await Task.sleep(for: limit) }
        await group.next()
        group.cancelAll()
    }
}

/// Runs `body` every `interval` until the task is cancelled.
private func every(_ interval: Duration, _ body: @Sendable () -> Void) async {
    while !Task.isCancelled {
        try? await Task.sleep(for: interval)
        guard !Task.isCancelled else { return }
        body()
    }
}

extension ListenTarget {
    func description(_ paths: DaemonPaths) -> String {
        switch self {
        case .path(let path): path
        case .inherited(let fd): "fd \(fd) (socket activation)"
        }
    }
}
