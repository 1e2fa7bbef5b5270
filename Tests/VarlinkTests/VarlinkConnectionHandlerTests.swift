import NIOCore
import NIOEmbedded
import Testing
import Varlink

/// Drives a ``VarlinkConnectionHandler`` (with its framing) through a testing channel.
private final class Connection {
    let channel: NIOAsyncTestingChannel
    let service = TestService()

    init(maxMessageSize: Int = VarlinkFrameDecoder.defaultMaxMessageSize, maxInFlight: Int = 16) async throws {
        let service = self.service
        self.channel = try await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.addVarlinkServerHandlers(
                service: service, info: testInfo, connection: VarlinkConnectionContext(id: 7, peerUID: 1000),
                maxMessageSize: maxMessageSize, maxInFlight: maxInFlight
            )
        }
        try await self.channel.connect(to: SocketAddress(unixDomainSocketPath: "/test")).get()
    }

    /// Sends raw bytes, as one read.
    func send(_ text: String) async throws {
        try await self.channel.writeInbound(ByteBuffer(string: text))
    }

    /// Sends calls pipelined in one read.
    func send(_ calls: VarlinkCall...) async throws {
        try await self.send(calls.map { $0.serialized() + "\0" }.joined())
    }

    /// Replies written but not yet taken (one write may hold several).
    private var pending: [String] = []

    /// The next reply written, as its exact text without the NUL.
    func replyText() async throws -> String {
        if self.pending.isEmpty {
            let buffer = try await self.channel.waitForOutboundWrite(as: ByteBuffer.self)
            #expect(buffer.readableBytesView.last == 0)
            self.pending = buffer.readableBytesView.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        }
        return self.pending.removeFirst()
    }

    func reply() async throws -> VarlinkReply {
        try VarlinkReply(message: Array(try await self.replyText().utf8))
    }
}

private func sleep(id: Int, ms: Int) -> VarlinkCall {
    VarlinkCall(method: "org.example.Test.Sleep", parameters: ["id": .int(id), "ms": .int(ms)])
}

@Suite struct VarlinkConnectionHandlerTests {
    @Test func answersPipelinedCallsInCallOrderWhenTheyFinishOutOfOrder() async throws {
        let connection = try await Connection()
        // Wait finishes only after Release has, so the second reply is ready first.
        try await connection.send(
            VarlinkCall(method: "org.example.Test.Wait", parameters: ["id": 1]),
            VarlinkCall(method: "org.example.Test.Release", parameters: ["id": 2]),
            sleep(id: 3, ms: 30), sleep(id: 4, ms: 0), sleep(id: 5, ms: 15)
        )
        for id in 1...5 {
            #expect(try await connection.reply() == VarlinkReply(parameters: ["id": .int(id)]))
        }
    }

    @Test func immediateAnswersWaitForEarlierCalls() async throws {
        let connection = try await Connection()
        try await connection.send(
            sleep(id: 1, ms: 30), VarlinkCall(method: "org.varlink.service.Nope"), VarlinkCall(method: "no.Such")
        )
        #expect(try await connection.reply() == VarlinkReply(parameters: ["id": 1]))
        #expect(try await connection.reply() == VarlinkError.methodNotFound("org.varlink.service.Nope").reply)
        #expect(try await connection.reply() == VarlinkError.interfaceNotFound("no").reply)
    }

    @Test func boundsTheCallsRunningAtOnce() async throws {
        let connection = try await Connection(maxInFlight: 2)
        try await connection.send(sleep(id: 1, ms: 20), sleep(id: 2, ms: 5), sleep(id: 3, ms: 5), sleep(id: 4, ms: 5), sleep(id: 5, ms: 1))
        for id in 1...5 {
            #expect(try await connection.reply() == VarlinkReply(parameters: ["id": .int(id)]))
        }
        #expect(await connection.service.recorder.peakRunning <= 2)
    }

    @Test func onewayCallsRunButGetNoReply() async throws {
        let connection = try await Connection()
        try await connection.send(
            VarlinkCall(method: "org.example.Test.Note", parameters: ["text": "quiet"], oneway: true),
            VarlinkCall(method: "org.varlink.service.GetInfo", oneway: true),
            VarlinkCall(method: "no.Such", oneway: true),
            VarlinkCall(method: "org.example.Test.Echo", parameters: ["text": "loud"])
        )
        // Replies come in call order: a reply to any of the oneway calls would come first.
        #expect(try await connection.reply() == VarlinkReply(parameters: ["text": "loud"]))
        #expect(await connection.service.recorder.events == ["quiet"])
        // And none comes later: the next reply is the next call's, then nothing is left.
        try await connection.send(VarlinkCall(method: "org.example.Test.Echo", parameters: ["text": "after"]))
        #expect(try await connection.reply() == VarlinkReply(parameters: ["text": "after"]))
        #expect(try await connection.channel.readOutbound(as: ByteBuffer.self) == nil)
    }

    @Test func serviceErrorsBecomeErrorReplies() async throws {
        let connection = try await Connection()
        try await connection.send(
            VarlinkCall(method: "org.example.Test.Boom"),
            VarlinkCall(method: "org.example.Test.Echo", parameters: ["text": 5]),
            VarlinkCall(method: "org.example.Test.Missing")
        )
        #expect(try await connection.replyText() == #"{"error":"org.example.Test.Boom","parameters":{"reason":"asked for"}}"#)
        #expect(try await connection.reply() == VarlinkError.invalidParameter("text").reply)
        #expect(try await connection.reply() == VarlinkError.methodNotFound("org.example.Test.Missing").reply)
    }

    @Test func answersGetInfo() async throws {
        let connection = try await Connection()
        try await connection.send(VarlinkCall(method: "org.varlink.service.GetInfo"))
        #expect(
            try await connection.replyText()
                == #"{"parameters":{"interfaces":["org.varlink.service","org.example.Test"],"#
                + #""product":"testd","url":"https://example.org","vendor":"Example","version":"1.0"}}"#
        )
    }

    @Test func answersGetInterfaceDescription() async throws {
        let connection = try await Connection()
        let describe = "org.varlink.service.GetInterfaceDescription"
        try await connection.send(
            VarlinkCall(method: describe, parameters: ["interface": "org.example.Test"]),
            VarlinkCall(method: describe, parameters: ["interface": "org.varlink.service"]),
            VarlinkCall(method: describe, parameters: ["interface": "org.example.Other"]),
            VarlinkCall(method: describe)
        )
        #expect(try await connection.reply() == VarlinkReply(parameters: ["description": .string(testInterface.description)]))
        let own = try await connection.reply().parameters["description"]?.stringValue
        #expect(own?.contains("interface org.varlink.service\n") == true)
        #expect(try await connection.reply() == VarlinkError.interfaceNotFound("org.example.Other").reply)
        #expect(try await connection.reply() == VarlinkError.invalidParameter("interface").reply)
    }

    @Test func malformedCallGetsInvalidParameterAndTheConnectionGoesOn() async throws {
        let connection = try await Connection()
        try await connection.send(#"{"parameters":{}}"# + "\0" + #"{"method":"a.B","oneway":"yes"}"# + "\0")
        #expect(try await connection.reply() == VarlinkError.invalidParameter("method").reply)
        #expect(try await connection.reply() == VarlinkError.invalidParameter("oneway").reply)
        try await connection.send(VarlinkCall(method: "org.example.Test.Echo", parameters: ["text": "still here"]))
        #expect(try await connection.reply() == VarlinkReply(parameters: ["text": "still here"]))
        #expect(connection.channel.isActive)
    }

    @Test func garbageIsAnsweredAfterEarlierCallsThenTheConnectionCloses() async throws {
        let connection = try await Connection()
        try await connection.send(sleep(id: 1, ms: 20).serialized() + "\0[1,2]\0" + sleep(id: 3, ms: 0).serialized() + "\0")
        #expect(try await connection.reply() == VarlinkReply(parameters: ["id": 1]))
        #expect(try await connection.reply() == VarlinkError.invalidParameter("message").reply)
        try await connection.channel.closeFuture.get()
        #expect(try await connection.channel.readOutbound(as: ByteBuffer.self) == nil)
    }

    @Test func oversizeMessageIsAnsweredThenTheConnectionCloses() async throws {
        let connection = try await Connection(maxMessageSize: 64)
        try await connection.send(String(repeating: "x", count: 65))
        #expect(try await connection.reply() == VarlinkError.invalidParameter("message").reply)
        try await connection.channel.closeFuture.get()
    }

    @Test func pendingCallsAreAnsweredAfterThePeerStopsSending() async throws {
        let connection = try await Connection()
        try await connection.send(sleep(id: 1, ms: 20))
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try await connection.reply() == VarlinkReply(parameters: ["id": 1]))
        try await connection.channel.closeFuture.get()
    }

    @Test func connectionClosedIsCalledOnceTheRunningCallsFinish() async throws {
        let connection = try await Connection()
        try await connection.send(VarlinkCall(method: "org.example.Test.Wait", parameters: ["id": 1]))
        try await connection.channel.close()
        try await Task.sleep(for: .milliseconds(20))
        await connection.service.gate.open()
        var closed = connection.service.closed.stream.makeAsyncIterator()
        #expect(await closed.next() == VarlinkConnectionContext(id: 7, peerUID: 1000))
        #expect(await connection.service.recorder.events == ["wait done", "closed"])
        #expect(try await connection.channel.readOutbound(as: ByteBuffer.self) == nil)
    }
}
