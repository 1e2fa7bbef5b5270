import NIOCore
import NIOEmbedded
import Testing
import Varlink

@Suite struct VarlinkFrameCodecTests {
    private func decoderChannel(maxMessageSize: Int = VarlinkFrameDecoder.defaultMaxMessageSize) -> EmbeddedChannel {
        EmbeddedChannel(handler: ByteToMessageHandler(VarlinkFrameDecoder(maxMessageSize: maxMessageSize)))
    }

    private func readAll(_ channel: EmbeddedChannel) throws -> [String] {
        var messages: [String] = []
        while let buffer = try channel.readInbound(as: ByteBuffer.self) {
            messages.append(String(buffer: buffer))
        }
        return messages
    }

    @Test func splitsMessagesFedOneByteAtATime() throws {
        let channel = self.decoderChannel()
        for byte in Array("{\"a\":1}\0{}\0\0x\0".utf8) {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(try self.readAll(channel) == [#"{"a":1}"#, "{}", "", "x"])
        #expect(try channel.finish().isClean)
    }

    @Test func splitsManyMessagesInOneRead() throws {
        let channel = self.decoderChannel()
        let messages = (0..<1000).map { #"{"method":"a.B","parameters":{"n":\#($0)}}"# }
        try channel.writeInbound(ByteBuffer(string: messages.joined(separator: "\0") + "\0"))
        #expect(try self.readAll(channel) == messages)
    }

    @Test func keepsAnUnfinishedMessageUntilItsNULArrives() throws {
        let channel = self.decoderChannel()
        try channel.writeInbound(ByteBuffer(string: "{}\0{\"a\""))
        #expect(try self.readAll(channel) == ["{}"])
        try channel.writeInbound(ByteBuffer(string: ":1}\0"))
        #expect(try self.readAll(channel) == [#"{"a":1}"#])
    }

    @Test func dropsAnUnfinishedMessageAtEndOfStream() throws {
        let channel = self.decoderChannel()
        try channel.writeInbound(ByteBuffer(string: "{}\0{\"a\""))
        #expect(try self.readAll(channel) == ["{}"])
        #expect(try channel.finish().isClean)
    }

    @Test func acceptsAMessageOfExactlyTheLimit() throws {
        let channel = self.decoderChannel(maxMessageSize: 8)
        try channel.writeInbound(ByteBuffer(string: "12345678\0"))
        #expect(try self.readAll(channel) == ["12345678"])
    }

    @Test func rejectsAnOversizeMessageBeforeItsNULArrives() throws {
        let channel = self.decoderChannel(maxMessageSize: 8)
        try channel.writeInbound(ByteBuffer(string: "1234"))
        #expect(throws: VarlinkFrameError.messageTooLarge(limit: 8)) {
            try channel.writeInbound(ByteBuffer(string: "56789"))
        }
    }

    @Test func rejectsAnOversizeMessageArrivingWithItsNUL() throws {
        let channel = self.decoderChannel(maxMessageSize: 8)
        #expect(throws: VarlinkFrameError.messageTooLarge(limit: 8)) {
            try channel.writeInbound(ByteBuffer(string: "{}\0123456789\0{}\0"))
        }
        #expect(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) } == "{}")
    }
}
