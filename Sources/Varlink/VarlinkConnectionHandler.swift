import NIOCore

/// Serves Varlink on one connection: decodes calls from the frames below it, dispatches
/// them, and writes the replies back **in call order**, even when calls are pipelined
/// and finish out of order.
///
/// Put it after a ``VarlinkFrameDecoder`` (see
/// `ChannelPipeline.SynchronousOperations.addVarlinkServerHandlers`); it writes each reply
/// with its NUL, the replies ready at once in one buffer. All its state
/// lives on the channel's event loop. A call the ``VarlinkService`` can answer at once
/// (``VarlinkService/answerImmediately(_:context:)``) is answered right there; every other
/// call runs in its own `Task`, and its reply hops back to the event loop.
///
/// - `org.varlink.service` calls are answered from the ``VarlinkServiceInfo``; calls
///   to interfaces it does not list get `InterfaceNotFound`; the rest go to the service.
/// - `oneway` calls run, but nothing is sent for them.
/// - At most `maxInFlight` calls are unfinished at a time (queued, running, or answered
///   but waiting for an earlier reply); beyond that the handler stops reading from the
///   socket until one is written, so a pipelining peer cannot make it buffer without bound.
///   Nor does it read while the channel is not writable: a peer that never reads its
///   replies cannot make them pile up in memory.
/// - A JSON object that is not a valid call gets `InvalidParameter` naming the member
///   (`method`, `parameters`, `oneway`, `more`), and the connection goes on.
/// - A message that is not a JSON object, or is larger than the decoder's limit, gets
///   `InvalidParameter` with `parameter: "message"` (after the replies to earlier
///   calls), then the connection is closed: the peer does not speak Varlink.
/// - When the peer shuts down its sending side (needs `ChannelOptions.allowRemoteHalfClosure`),
///   pending calls are still answered, then the connection is closed.
/// - Once the connection has closed and none of its calls still runs,
///   ``VarlinkService/connectionClosed(_:)`` is called.
public final class VarlinkConnectionHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// The default limit of unfinished calls per connection.
    public static let defaultMaxInFlight = 16

    private struct Job {
        var call: VarlinkCall
        /// Position of the reply among the connection's replies; `nil` for `oneway` calls.
        var slot: Int?
    }

    private let service: any VarlinkService
    private let info: VarlinkServiceInfo
    private let connection: VarlinkConnectionContext
    private let maxInFlight: Int

    private var queued = CircularBuffer<Job>()
    private var running = 0
    /// Replies ready to be written, by slot.
    private var replies: [Int: VarlinkReply] = [:]
    private var nextSlot = 0
    private var nextSlotToWrite = 0
    /// A `read` was held back because too many calls were unfinished.
    private var readHeld = false
    /// No further calls are taken: close once every accepted one is answered.
    private var closing = false
    private var closed = false

    /// - Parameters:
    ///   - service: Answers the calls to the interfaces in `info`.
    ///   - info: Answers `org.varlink.service`; its interfaces are the ones dispatched.
    ///   - connection: Passed to every call; set by whoever accepted the connection.
    ///   - maxInFlight: Most unfinished calls on this connection (at least 1).
    public init(
        service: any VarlinkService,
        info: VarlinkServiceInfo,
        connection: VarlinkConnectionContext,
        maxInFlight: Int = VarlinkConnectionHandler.defaultMaxInFlight
    ) {
        precondition(maxInFlight > 0, "maxInFlight must be positive")
        self.service = service
        self.info = info
        self.connection = connection
        self.maxInFlight = maxInFlight
    }

    private var unfinished: Int { self.queued.count + self.running + self.replies.count }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.closing else { return }
        let call: VarlinkCall
        do {
            call = try VarlinkCall(message: Self.unwrapInboundIn(data).readableBytesView)
        } catch {
            self.closing = error.isGarbage
            self.answer(error.invalidParameter.reply, context: context)
            return
        }
        if call.interface == VarlinkInterface.service.name {
            self.answer(self.answerServiceCall(call), oneway: call.oneway, context: context)
        } else if self.info.interface(named: call.interface) == nil {
            self.answer(VarlinkError.interfaceNotFound(call.interface).reply, oneway: call.oneway, context: context)
        } else if let reply = self.service.answerImmediately(call, context: self.connection) {
            self.answer(reply, oneway: call.oneway, context: context)
        } else {
            self.queued.append(Job(call: call, slot: call.oneway ? nil : self.takeSlot()))
            self.startQueued(context: context)
        }
    }

    public func read(context: ChannelHandlerContext) {
        if self.closing || self.unfinished >= self.maxInFlight || !context.channel.isWritable {
            self.readHeld = true
        } else {
            context.read()
        }
    }

    /// Replies the peer does not read pile up in the channel's outbound buffer: while it is
    /// over its high water mark, no further calls are read (`read` holds back).
    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.writeReady(context: context)
        context.fireChannelWritabilityChanged()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event as? ChannelEvent == .inputClosed {
            self.closing = true
            self.writeReady(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case VarlinkFrameError.messageTooLarge:
            self.closing = true
            self.answer(VarlinkError.invalidParameter("message").reply, context: context)
        case ByteToMessageDecoderError.dataReceivedInErrorState:
            break  // bytes after an oversize message: the connection is closing already
        default:
            context.close(promise: nil)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.closed = true
        self.closing = true
        self.queued.removeAll()
        self.replies.removeAll()
        if self.running == 0 {
            self.notifyClosed()
        }
        context.fireChannelInactive()
    }

    private func answerServiceCall(_ call: VarlinkCall) -> VarlinkReply {
        do throws(VarlinkError) {
            return try self.info.answer(call)
        } catch {
            return error.reply
        }
    }

    private func takeSlot() -> Int {
        defer { self.nextSlot += 1 }
        return self.nextSlot
    }

    /// Queues a reply that is ready now, behind the replies to earlier calls.
    private func answer(_ reply: VarlinkReply, oneway: Bool = false, context: ChannelHandlerContext) {
        if !oneway {
            self.replies[self.takeSlot()] = reply
        }
        self.writeReady(context: context)
    }

    private func startQueued(context: ChannelHandlerContext) {
        while self.running < self.maxInFlight, let job = self.queued.popFirst() {
            self.running += 1
            let (service, connection, call) = (self.service, self.connection, job.call)
            let promise = context.eventLoop.makePromise(of: VarlinkReply.self)
            promise.completeWithTask {
                do throws(VarlinkError) {
                    return try await service.handle(call, context: connection)
                } catch {
                    return error.reply
                }
            }
            promise.futureResult.assumeIsolated().whenSuccess { reply in
                self.finished(job, reply: reply, context: context)
            }
        }
    }

    private func finished(_ job: Job, reply: VarlinkReply, context: ChannelHandlerContext) {
        self.running -= 1
        guard !self.closed else {
            if self.running == 0 { self.notifyClosed() }
            return
        }
        if let slot = job.slot {
            self.replies[slot] = reply
        }
        self.startQueued(context: context)
        self.writeReady(context: context)
    }

    /// Writes the replies that are next in call order, then closes or resumes reading.
    private func writeReady(context: ChannelHandlerContext) {
        guard !self.closed else { return }
        var ready: ByteBuffer?
        while let reply = self.replies.removeValue(forKey: self.nextSlotToWrite) {
            self.nextSlotToWrite += 1
            let message = reply.encoded()
            if ready == nil { ready = context.channel.allocator.buffer(capacity: message.count + 1) }
            ready!.writeBytes(message)
            ready!.writeInteger(UInt8(0))
        }
        if let ready {
            context.writeAndFlush(Self.wrapOutboundOut(ready), promise: nil)
        }
        if self.closing {
            if self.unfinished == 0 {
                context.close(promise: nil)
            }
        } else if self.readHeld, self.unfinished < self.maxInFlight, context.channel.isWritable {
            self.readHeld = false
            context.read()
        }
    }

    private func notifyClosed() {
        let (service, connection) = (self.service, self.connection)
        Task { await service.connectionClosed(connection) }
    }
}

@available(*, unavailable)
extension VarlinkConnectionHandler: Sendable {}
