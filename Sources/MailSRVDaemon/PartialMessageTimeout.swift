import NIOCore

/// Closes a connection that sends part of a message and then stops: the bytes since the
/// last NUL must be completed within `timeout`. An idle connection between messages
/// (a client holding a lease) is left alone.
///
///     … {"method":…}\0 {"meth          ← partial: the timer runs
///     … {"method":…}\0 {"method":…}\0  ← complete: no timer
final class PartialMessageTimeout: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let endsMessage = buffer.readableBytesView.last == 0
        if endsMessage {
            timer?.cancel()
            timer = nil
        } else if timer == nil, buffer.readableBytes > 0 {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: timeout) {
                loopBound.value.close(promise: nil)
            }
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }
}
