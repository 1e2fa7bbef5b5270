import Logging
import NIOCore
import NIOHTTP1

/// Serves one HTTP request of the autoconfig endpoint and closes the connection:
/// routes it (``AutoconfigRequest``), looks the domain up when it must, writes the reply
/// with `Connection: close`. A request that is not complete within `requestTimeout` of
/// the connection's start is cut off; a malformed or oversize one gets its 400 or 431.
final class AutoconfigHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let lookup: @Sendable (String) async -> AutoconfigReply
    private let requestTimeout: TimeAmount
    private let logger: Logger
    private var head: HTTPRequestHead?
    private var timer: Scheduled<Void>?
    private var answered = false

    /// - Parameter lookup: the reply for a mail domain (its DNS lookups).
    init(requestTimeout: TimeAmount, logger: Logger, lookup: @escaping @Sendable (String) async -> AutoconfigReply) {
        self.lookup = lookup
        self.requestTimeout = requestTimeout
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: requestTimeout) { [logger] in
            logger.debug("autoconfig: request not complete in time, connection closed")
            loopBound.value.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            timer?.cancel()
            guard let head, !answered else { return }
            answered = true
            switch AutoconfigRequest.route(method: head.method.rawValue, target: head.uri) {
            case .reply(let reply):
                write(reply, context: context)
            case .lookup(let domain):
                let promise = context.eventLoop.makePromise(of: AutoconfigReply.self)
                promise.completeWithTask { [lookup] in await lookup(domain) }
                promise.futureResult.assumeIsolated().whenSuccess { reply in
                    self.write(reply, context: context)
                }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !answered else { return }
        answered = true
        timer?.cancel()
        write(error is RequestTooLarge ? .tooLarge : .malformed, context: context)
    }

    private func write(_ reply: AutoconfigReply, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        var body = context.channel.allocator.buffer(capacity: reply.body.utf8.count)
        body.writeString(reply.body)
        var headers = HTTPHeaders([("Content-Type", reply.contentType), ("Content-Length", "\(body.readableBytes)"),
                                   ("Connection", "close"), ("Cache-Control", "no-store")])
        if reply == .methodNotAllowed { headers.add(name: "Allow", value: "GET") }
        let status = HTTPResponseStatus(statusCode: reply.status, reasonPhrase: reply.reason)
        logger.debug("autoconfig", metadata: ["status": "\(reply.status)"])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }
}
