import NIOCore

/// Passes on at most `limit` bytes of a connection; the byte beyond is not passed on but
/// raises ``RequestTooLarge`` down the pipeline, and everything after it is dropped. In
/// front of the HTTP decoder it bounds request line, headers and body together.
final class RequestSizeLimit: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limit: Int
    private var received = 0

    init(limit: Int) {
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard received <= limit else { return }
        received += buffer.readableBytes
        if received > limit {
            context.fireErrorCaught(RequestTooLarge())
        } else {
            context.fireChannelRead(data)
        }
    }
}

/// A request larger than the endpoint accepts.
struct RequestTooLarge: Error {}
