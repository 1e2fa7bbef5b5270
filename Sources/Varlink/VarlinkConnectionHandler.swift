import NIOCore

/// Serves Varlink on one connection: decodes calls from the frames below it, dispatches
/// them, and writes the replies back **in call order**, even when calls are pipelined
/// and finish out of order.
///
/// Put it after a ``VarlinkFrameDecoder`` (see
/// `ChannelPipeline.SynchronousOperations.addVarlinkServerHandlers`); it writes each reply
/// with its NUL. All its state lives on the channel's event loop. A call the
/// ``VarlinkService`` can answer at once (``VarlinkService/answerImmediately(_:context:)``)
/// is answered right there; every other call runs in its own `Task`, and its reply hops
/// back to the event loop.
///
/// - `org.varlink.service` calls are answered from the ``VarlinkServiceInfo``; calls
///   to interfaces it does not list get `InterfaceNotFound`; the rest go to the service.
/// - `oneway` calls run, but nothing is sent for them.
/// - **Back pressure.** Messages read wait in an inbox, as the bytes read, and a call is
///   taken from it only while the channel is writable (its outbound bytes are under the
///   channel's high water mark) and fewer than `maxInFlight` calls are unfinished (running,
///   or answered but waiting for an earlier reply). Nothing more is read from the socket
///   until the inbox is empty. So a peer that pipelines calls and never reads the replies
///   holds at most one read of calls, the high water mark plus one reply, and the replies
///   of `maxInFlight` calls, whatever the calls are, answered at once or not.
/// - A JSON object that is not a valid call gets `InvalidParameter` naming the member
///   (`method`, `parameters`, `oneway`, `more`), and the connection goes on.
/// - A message that is not a JSON object, or is larger than the decoder's limit, gets
///   `InvalidParameter` with `parameter: "message"` (after the replies to earlier
///   calls), then the connection is closed: the peer does not speak Varlink.
/// - When the peer shuts down its sending side (needs `ChannelOptions.allowRemoteHalfClosure`),
///   the calls read are still answered, then the connection is closed.
/// - Once the connection has closed, nothing more is answered (calls still in the inbox,
///   and those its decoder delivers from the last bytes read, are dropped); when none of
///   its calls still runs, ``VarlinkService/connectionClosed(_:)`` is called.
public final class VarlinkConnectionHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// The default limit of unfinished calls per connection.
    public static let defaultMaxInFlight = 16

    /// What the decoder delivered, in order.
    private enum Inbound {
        case message(ByteBuffer)
        /// A message over the decoder's size limit: the last thing the peer said.
        case tooLarge
    }

    private let service: any VarlinkService
    private let info: VarlinkServiceInfo
    private let connection: VarlinkConnectionContext
    private let maxInFlight: Int

    /// Messages read and not yet taken.
    private var inbox = CircularBuffer<Inbound>()
    private var running = 0
    /// Replies ready but waiting for an earlier one, by slot.
    private var replies: [Int: VarlinkReply] = [:]
    private var nextSlot = 0
    private var nextSlotToWrite = 0
    /// A `read` was held back; it is passed on once the inbox is empty and calls may be taken.
    private var readHeld = false
    /// No further messages are taken: answer what is in the inbox, then close.
    private var inputEnded = false
    private var closed = false
    /// `dispatch` is running (a write in it may report a writability change).
    private var dispatching = false

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

    private var unfinished: Int { self.running + self.replies.count }

    /// Whether a call may be taken now: few enough unfinished, and the peer drains its
    /// replies. Never while the channel closes (failing its writes makes it writable).
    private func mayTakeCall(_ context: ChannelHandlerContext) -> Bool {
        self.unfinished < self.maxInFlight && context.channel.isWritable && context.channel.isActive
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A closed channel's decoder still delivers the last bytes read: nobody would get the replies.
        guard !self.inputEnded, context.channel.isActive else { return }
        self.inbox.append(.message(Self.unwrapInboundIn(data)))
        self.dispatch(context: context)
    }

    public func read(context: ChannelHandlerContext) {
        if self.inputEnded || !self.inbox.isEmpty || !self.mayTakeCall(context) {
            self.readHeld = true
        } else {
            context.read()
        }
    }

    /// The peer drained replies (or stopped draining): take calls again, or hold them.
    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.dispatch(context: context)
        context.fireChannelWritabilityChanged()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event as? ChannelEvent == .inputClosed {
            self.inputEnded = true
            self.dispatch(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case VarlinkFrameError.messageTooLarge:
            guard !self.inputEnded else { return }
            self.inbox.append(.tooLarge)
            self.inputEnded = true
            self.dispatch(context: context)
        case ByteToMessageDecoderError.dataReceivedInErrorState:
            break  // bytes after an oversize message: the connection is closing already
        default:
            context.close(promise: nil)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.closed = true
        self.inputEnded = true
        self.inbox.removeAll()
        self.replies.removeAll()
        if self.running == 0 {
            self.notifyClosed()
        }
        context.fireChannelInactive()
    }

    /// Takes calls from the inbox while the connection may, writes the replies that are
    /// next in call order, then closes or asks for more input.
    private func dispatch(context: ChannelHandlerContext) {
        guard !self.dispatching else { return }
        self.dispatching = true
        defer { self.dispatching = false }
        while !self.closed, self.mayTakeCall(context), let next = self.inbox.popFirst() {
            switch next {
            case .message(let message):
                self.take(message, context: context)
            case .tooLarge:
                self.endInput(answering: VarlinkError.invalidParameter("message").reply)
            }
            self.writeReady(context: context)
        }
        guard !self.closed else { return }
        context.flush()
        if self.inputEnded {
            if self.inbox.isEmpty && self.unfinished == 0 {
                context.close(promise: nil)
            }
        } else if self.readHeld, self.inbox.isEmpty, self.mayTakeCall(context) {
            self.readHeld = false
            context.read()
        }
    }

    private func take(_ message: ByteBuffer, context: ChannelHandlerContext) {
        let call: VarlinkCall
        do {
            call = try VarlinkCall(message: message.readableBytesView)
        } catch {
            if error.isGarbage {
                self.endInput(answering: error.invalidParameter.reply)
            } else {
                self.replies[self.takeSlot()] = error.invalidParameter.reply
            }
            return
        }
        if call.interface == VarlinkInterface.service.name {
            self.answer(self.answerServiceCall(call), oneway: call.oneway)
        } else if self.info.interface(named: call.interface) == nil {
            self.answer(VarlinkError.interfaceNotFound(call.interface).reply, oneway: call.oneway)
        } else if let reply = self.service.answerImmediately(call, context: self.connection) {
            self.answer(reply, oneway: call.oneway)
        } else {
            self.start(call, slot: call.oneway ? nil : self.takeSlot(), context: context)
        }
    }

    /// Answers the peer's last message with `reply`: what it sent after is not taken.
    private func endInput(answering reply: VarlinkReply) {
        self.replies[self.takeSlot()] = reply
        self.inputEnded = true
        self.inbox.removeAll()
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
    private func answer(_ reply: VarlinkReply, oneway: Bool) {
        if !oneway {
            self.replies[self.takeSlot()] = reply
        }
    }

    private func start(_ call: VarlinkCall, slot: Int?, context: ChannelHandlerContext) {
        self.running += 1
        let (service, connection) = (self.service, self.connection)
        let promise = context.eventLoop.makePromise(of: VarlinkReply.self)
        promise.completeWithTask {
            do throws(VarlinkError) {
                return try await service.handle(call, context: connection)
            } catch {
                return error.reply
            }
        }
        promise.futureResult.assumeIsolated().whenSuccess { reply in
            self.finished(slot: slot, reply: reply, context: context)
        }
    }

    private func finished(slot: Int?, reply: VarlinkReply, context: ChannelHandlerContext) {
        self.running -= 1
        guard !self.closed else {
            if self.running == 0 { self.notifyClosed() }
            return
        }
        if let slot {
            self.replies[slot] = reply
        }
        self.writeReady(context: context)
        self.dispatch(context: context)
    }

    /// Writes (without flushing) the replies that are next in call order.
    private func writeReady(context: ChannelHandlerContext) {
        while let reply = self.replies.removeValue(forKey: self.nextSlotToWrite) {
            self.nextSlotToWrite += 1
            let message = reply.encoded()
            var buffer = context.channel.allocator.buffer(capacity: message.count + 1)
            buffer.writeBytes(message)
            buffer.writeInteger(UInt8(0))
            context.write(Self.wrapOutboundOut(buffer), promise: nil)
        }
    }

    private func notifyClosed() {
        let (service, connection) = (self.service, self.connection)
        Task { await service.connectionClosed(connection) }
    }
}

@available(*, unavailable)
extension VarlinkConnectionHandler: Sendable {}
