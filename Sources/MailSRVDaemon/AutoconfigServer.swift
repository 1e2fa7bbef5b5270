import Logging
import MailDiscovery
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Where the autoconfig endpoint listens.
public enum AutoconfigTarget: Sendable, Equatable {
    /// Bind this loopback address (`AutoconfigListen=`, `--autoconfig-listen`).
    case address(AutoconfigAddress)
    /// Serve the TCP socket systemd passed as `autoconfig`; it must be bound to loopback.
    case inherited(fd: Int32)
}

/// Mozilla autoconfig over HTTP/1.1 on loopback TCP (CLIENTS.md §4), with NIOHTTP1's
/// parser: one request per connection, at most ``maxRequestBytes`` of it, complete
/// within ``requestTimeout``; at most ``maxConnections`` connections at a time (more are
/// closed at once). Each request for a domain makes a retrieval and a submission Lookup.
public final class AutoconfigServer: Sendable {
    public static let maxRequestBytes = 8 * 1024
    public static let requestTimeout = TimeAmount.seconds(5)
    public static let maxConnections = 64

    private let channel: any Channel
    /// The address served (the port systemd's socket or the kernel chose, too).
    public let localAddress: String

    private init(channel: any Channel, localAddress: String) {
        self.channel = channel
        self.localAddress = localAddress
    }

    public static func start(target: AutoconfigTarget, discovery: Discovery, group: any EventLoopGroup,
                             logger: Logger) async throws -> AutoconfigServer {
        let open = Atomic<Int>(0)
        let lookup: @Sendable (String) async -> AutoconfigReply = { domain in
            async let retrieval = result { () async throws(DiscoveryError) in
                try await discovery.lookup(email: domain, want: .retrieval)
            }
            async let submission = result { () async throws(DiscoveryError) in
                try await discovery.lookup(email: domain, want: .submission)
            }
            let reply = AutoconfigReply.answer(domain: domain, retrieval: await retrieval, submission: await submission)
            logger.debug("autoconfig lookup", metadata: ["domain": "\(domain)", "status": "\(reply.status)"])
            return reply
        }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard open.wrappingAdd(1, ordering: .relaxed).newValue <= maxConnections else {
                    open.wrappingSubtract(1, ordering: .relaxed)
                    logger.warning("autoconfig: too many connections, one refused")
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in open.wrappingSubtract(1, ordering: .relaxed) }
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(RequestSizeLimit(limit: maxRequestBytes))
                    try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
                    try pipeline.addHandler(AutoconfigHandler(requestTimeout: requestTimeout, logger: logger,
                                                              lookup: lookup))
                }
            }
        let channel: any Channel
        switch target {
        case .address(let address):
            channel = try await bootstrap.bind(host: address.host, port: address.port).get()
        case .inherited(let fd):
            channel = try await bootstrap.withBoundSocket(fd).get()
        }
        guard let ip = channel.localAddress?.ipAddress, AutoconfigAddress.isLoopback(ip) else {
            try? await channel.close()
            throw AutoconfigAddressError(text: "\(channel.localAddress.map { "\($0)" } ?? "?")",
                                         problem: "the autoconfig socket is not bound to a loopback address")
        }
        let port = channel.localAddress?.port ?? 0
        return AutoconfigServer(channel: channel, localAddress: ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)")
    }

    /// Stops accepting connections.
    public func stop() async {
        try? await channel.close()
    }
}

/// `body`'s outcome as a `Result`.
private func result<T>(_ body: () async throws(DiscoveryError) -> T) async -> Result<T, DiscoveryError> {
    do {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}
