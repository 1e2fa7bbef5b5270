import CPeerCredentials
import FoundationEssentials
import Glibc
import Logging
import MailSRVInterface
import NIOCore
import NIOPosix
import Synchronization
import Varlink

/// Where the server listens.
public enum ListenTarget: Sendable, Equatable {
    /// Bind this path (its directory is created; the socket gets mode 0666).
    case path(String)
    /// Serve a socket passed by systemd (socket activation); bind nothing.
    case inherited(fd: Int32)
}

/// The Varlink server on a Unix stream socket: reads each peer's uid with SO_PEERCRED at
/// accept, enforces the connection limits (a connection over them gets `TooManyRequests`,
/// see ``RefusedConnection``), and hands the connection to the Varlink handlers with the
/// daemon's service. A failing `accept` (EMFILE) is retried once a second and logged once.
public final class SocketServer: Sendable {
    private let channel: any Channel
    public let target: ListenTarget

    private init(channel: any Channel, target: ListenTarget) {
        self.channel = channel
        self.target = target
    }

    public static func start(target: ListenTarget, service: DiscoveryService, info: VarlinkServiceInfo,
                             limits: UserLimits, configuration: DaemonConfiguration,
                             group: any EventLoopGroup, logger: Logger) async throws -> SocketServer {
        let connectionIDs = Atomic<UInt64>(0)
        let messageLimit = configuration.limits.maxMessageSize
        let idleTimeout = TimeAmount.milliseconds(Int64(configuration.limits.idleTimeout * 1000))
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Self.backlog)
            // Each wakeup accepts every queued connection, not NIO's default of 4: under a
            // flood an event loop's turn can take a second, and a new connection of another
            // uid waited a turn per 4 connections queued before it (RELIABILITY.md §3a).
            .serverChannelOption(.maxMessagesPerRead, value: UInt(Self.backlog))
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // ServerBootstrap's bind adds no backoff: without it EMFILE spins a core.
                    try channel.pipeline.syncOperations.addHandlers(
                        AcceptBackoffHandler(shouldForwardIOErrorCaught: true), AcceptErrorLog(logger: logger))
                }
            }
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // The replies a connection may hold beyond one (VarlinkConnectionHandler).
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 64 * 1024))
            .childChannelInitializer { channel in
                peerUID(of: channel).flatMapThrowing { uid in
                    guard limits.openConnection(uid: uid) else {
                        logger.warning("connection refused: connection limit", metadata: ["uid": "\(uid)"])
                        try channel.pipeline.syncOperations.addHandler(
                            RefusedConnection(reply: VarlinkError.tooManyRequests.reply))
                        return
                    }
                    channel.closeFuture.whenComplete { _ in limits.closeConnection(uid: uid) }
                    let connection = VarlinkConnectionContext(
                        id: connectionIDs.wrappingAdd(1, ordering: .relaxed).newValue, peerUID: uid)
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(PartialMessageTimeout(timeout: idleTimeout))
                    try pipeline.addVarlinkServerHandlers(service: service, info: info, connection: connection,
                                                          maxMessageSize: messageLimit)
                }
            }
        let channel: any Channel
        switch target {
        case .path(let path):
            try createDirectory(forSocket: path)
            try InstanceLock.removeStaleSocket(at: path)
            channel = try await bootstrap.bind(unixDomainSocketPath: path).get()
            // Every local user may connect; what they may do is decided by their uid.
            guard chmod(path, 0o666) == 0 else { throw SocketSetupError(path: path, errno: errno) }
        case .inherited(let fd):
            channel = try await bootstrap.withBoundSocket(fd).get()
        }
        return SocketServer(channel: channel, target: target)
    }

    /// The listening socket's queue of connections not yet accepted.
    static let backlog: Int32 = 256

    /// Stops accepting connections. Open connections are left to finish.
    public func stopAccepting() async {
        try? await channel.close()
    }

    private static func peerUID(of channel: any Channel) -> EventLoopFuture<UInt32> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(NoPeerCredentials())
        }
        return provider.unsafeGetSocketOption(level: .socket, name: .init(rawValue: SO_PEERCRED))
            .map { (credentials: mailsrvd_ucred) in credentials.uid }
    }

    private static func createDirectory(forSocket path: String) throws {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        try makeDirectory(String(path[..<slash]), mode: 0o755)
    }
}

struct NoPeerCredentials: Error {}

public struct SocketSetupError: Error, CustomStringConvertible {
    public var path: String
    public var errno: Int32
    public var description: String { "\(path): \(String(cString: strerror(errno)))" }
}
