import NIOCore
import NIOEmbedded
import Testing
import Varlink

/// The peer's end of an `EmbeddedChannel`, at the head of the pipeline: the bytes written
/// are what the peer has not read yet, and past `highWater` the channel stops being
/// writable, as a socket channel's does past its write buffer's high water mark.
private final class UnreadReplies: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let highWater: Int
    private(set) var unreadBytes = 0
    private(set) var peakUnreadBytes = 0
    /// `read`s that reached the socket.
    private(set) var reads = 0

    init(highWater: Int) { self.highWater = highWater }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        unreadBytes += Self.unwrapOutboundIn(data).readableBytes
        peakUnreadBytes = max(peakUnreadBytes, unreadBytes)
        context.write(data, promise: promise)
        let channel = context.channel as! EmbeddedChannel
        if unreadBytes > highWater && channel.isWritable {
            channel.isWritable = false
            context.fireChannelWritabilityChanged()
        }
    }

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }

    /// The peer reads everything written: returns the replies.
    func drain(_ channel: EmbeddedChannel) throws -> [String] {
        var replies: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            replies += buffer.readableBytesView.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        }
        unreadBytes = 0
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        return replies
    }
}

private func now(_ size: Int) -> String {
    VarlinkCall(method: "org.example.Test.Now", parameters: ["size": .int(size)]).serialized() + "\0"
}

/// Regression for a peer that pipelines calls answered at once and never reads: every
/// call read was answered and its reply buffered, whatever the peer drained.
@Suite struct VarlinkBackPressureTests {
    let service = TestService()
    fileprivate let peer = UnreadReplies(highWater: 4096)
    let channel = EmbeddedChannel()

    init() throws {
        try channel.pipeline.syncOperations.addHandler(peer)
        try channel.pipeline.syncOperations.addVarlinkServerHandlers(
            service: service, info: testInfo, connection: VarlinkConnectionContext(id: 1, peerUID: 1000))
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/test")).wait()
    }

    @Test func aPeerThatDoesNotReadHoldsAtMostTheHighWaterMarkOfReplies() throws {
        // 200 calls of 1,000-byte replies in one read: 200 KB if all were answered.
        try channel.writeInbound(ByteBuffer(string: String(repeating: now(1000), count: 200)))
        #expect(peer.unreadBytes <= peer.highWater + 1100, "\(peer.unreadBytes) bytes of replies held")
        #expect(service.answeredNow.count <= 5)
        channel.read()
        #expect(peer.reads == 0, "read more calls while 200 wait")
        // As the peer drains, the rest is answered, in order, never more than the bound at once.
        var replies: [String] = []
        for _ in 0..<400 where replies.count < 200 {
            replies += try peer.drain(channel)
        }
        #expect(replies.count == 200)
        #expect(Set(replies) == [#"{"parameters":{"text":"\#(String(repeating: "x", count: 1000))"}}"#])
        #expect(peer.peakUnreadBytes <= peer.highWater + 1100)
        // Everything answered and drained: the read held back goes to the socket.
        #expect(peer.reads == 1)
    }

    @Test func aClosedConnectionsCallsAreNotAnswered() throws {
        try channel.writeInbound(ByteBuffer(string: String(repeating: now(1000), count: 200)))
        let answered = service.answeredNow.count
        #expect(answered < 200)
        _ = try? channel.close().wait()
        // What was read and not yet taken is dropped with the connection.
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(service.answeredNow.count == answered)
    }
}
