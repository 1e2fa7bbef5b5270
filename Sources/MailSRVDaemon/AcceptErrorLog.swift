import Logging
import NIOCore

/// Logs, once until a connection is accepted again, why `accept` fails (EMFILE: the
/// descriptors are used up). The server channel's `AcceptBackoffHandler` before it retries
/// once a second instead of spinning on the ready listening socket.
final class AcceptErrorLog: ChannelInboundHandler {
    typealias InboundIn = any Channel

    private let logger: Logger
    private var failing = false

    init(logger: Logger) {
        self.logger = logger
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !failing {
            failing = true
            logger.error("cannot accept connections, retrying every second", metadata: ["error": "\(error)"])
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if failing {
            failing = false
            logger.notice("accepting connections again")
        }
        context.fireChannelRead(data)
    }
}
