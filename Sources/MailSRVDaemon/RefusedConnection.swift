import NIOCore
import Synchronization
import Varlink

/// A connection over a limit (DESIGN.md §5): it gets the `TooManyRequests` error reply,
/// then the end of the stream, not a reset. What the client sends meanwhile is read and
/// dropped until it closes, for at most `linger` (closing a Unix socket with unread bytes
/// would reset the client). At most `maxLingering` refused connections linger at a time;
/// past that one is closed right after its reply, so refusals hold few descriptors.
final class RefusedConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let linger = TimeAmount.milliseconds(500)
    static let maxLingering = 16
    private static let lingering = Atomic<Int>(0)

    private let reply: VarlinkReply
    private var counted = false

    init(reply: VarlinkReply) {
        self.reply = reply
    }

    func channelActive(context: ChannelHandlerContext) {
        let message = reply.encoded()
        var buffer = context.channel.allocator.buffer(capacity: message.count + 1)
        buffer.writeBytes(message)
        buffer.writeInteger(UInt8(0))
        context.writeAndFlush(Self.wrapOutboundOut(buffer), promise: nil)
        if Self.lingering.wrappingAdd(1, ordering: .relaxed).newValue > Self.maxLingering {
            Self.lingering.wrappingSubtract(1, ordering: .relaxed)
            context.close(promise: nil)
            return
        }
        counted = true
        context.close(mode: .output, promise: nil)
        let channel = context.channel
        context.eventLoop.scheduleTask(in: Self.linger) { channel.close(promise: nil) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event as? ChannelEvent == .inputClosed {
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if counted {
            counted = false
            Self.lingering.wrappingSubtract(1, ordering: .relaxed)
        }
        context.fireChannelInactive()
    }
}
