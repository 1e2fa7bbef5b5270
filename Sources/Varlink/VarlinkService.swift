/// What the server knows about one connection; set by whoever accepts it.
public struct VarlinkConnectionContext: Sendable, Hashable {
    /// Unique among the server's connections (e.g. a counter).
    public var id: UInt64
    /// The peer's user id, as read with `SO_PEERCRED` at accept time.
    public var peerUID: UInt32

    public init(id: UInt64, peerUID: UInt32) {
        self.id = id
        self.peerUID = peerUID
    }
}

/// The application behind a Varlink server: answers the calls to its interfaces.
///
/// ``VarlinkConnectionHandler`` calls it for every call to an interface listed in
/// ``VarlinkServiceInfo/interfaces``; it answers `org.varlink.service` itself and
/// replies `InterfaceNotFound` for other interfaces. Calls of one connection may run
/// concurrently; their replies are sent in call order regardless.
public protocol VarlinkService: Sendable {
    /// Answers one call. A thrown ``VarlinkError`` becomes the error reply. For a
    /// `oneway` call, the reply is discarded. Unknown methods should throw
    /// ``VarlinkError/methodNotFound(_:)``.
    func handle(_ call: VarlinkCall, context: VarlinkConnectionContext) async throws(VarlinkError) -> VarlinkReply

    /// Answers a call at once, on the connection's event loop, when that needs no waiting
    /// (an answer from memory): no task is started for it. Returns nil to have
    /// ``handle(_:context:)`` answer it instead. Must never block. Nil by default.
    func answerImmediately(_ call: VarlinkCall, context: VarlinkConnectionContext) -> VarlinkReply?

    /// Called once when a connection has closed and none of its calls is running any
    /// more, so state tied to the connection can be released. Does nothing by default.
    func connectionClosed(_ context: VarlinkConnectionContext) async
}

extension VarlinkService {
    public func answerImmediately(_ call: VarlinkCall, context: VarlinkConnectionContext) -> VarlinkReply? { nil }

    public func connectionClosed(_ context: VarlinkConnectionContext) async {}
}
