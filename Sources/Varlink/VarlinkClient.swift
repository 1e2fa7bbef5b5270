/// A blocking Varlink client on a Unix socket, for command-line tools: plain system
/// calls and no event loop, so it starts fast.
///
///     let client = try VarlinkClient.connect(to: "/run/example/org.example.Ping", timeout: .seconds(5))
///     let reply = try client.call("org.example.Ping.Ping", ["text": "hi"])
///     if let error = reply.varlinkError { … }
///
/// One call at a time; calls with `more` or `oneway` are not supported.
public final class VarlinkClient {
    /// The default ``maxReplySize``: 16 MiB.
    public static let defaultMaxReplySize = 16 * 1024 * 1024

    /// The largest reply accepted, in bytes.
    public let maxReplySize: Int
    private var socket: UnixSocket?
    /// Received bytes not yet returned as a reply.
    private var received: [UInt8] = []

    private init(socket: UnixSocket, maxReplySize: Int) {
        self.socket = socket
        self.maxReplySize = maxReplySize
    }

    /// Connects to the server listening at `path`.
    ///
    /// - Parameter timeout: The longest each step (connect, send, each receive) may
    ///   wait; `nil`: no limit.
    /// - Throws: ``VarlinkClientError/noSuchSocket(path:)`` or
    ///   ``VarlinkClientError/connectionRefused(path:)`` when no server runs there
    ///   (see ``VarlinkClientError/isServerNotRunning``), or another ``VarlinkClientError``.
    public static func connect(
        to path: String,
        timeout: Duration? = nil,
        maxReplySize: Int = VarlinkClient.defaultMaxReplySize
    ) throws(VarlinkClientError) -> VarlinkClient {
        VarlinkClient(socket: try UnixSocket(connectingTo: path, timeout: timeout), maxReplySize: maxReplySize)
    }

    /// Calls `method` and waits for its reply. An error reply is returned, not thrown:
    /// see ``VarlinkReply/varlinkError``.
    public func call(_ method: String, _ parameters: JSONObject = [:]) throws(VarlinkClientError) -> VarlinkReply {
        guard let socket = self.socket else { throw .connectionClosed }
        try socket.send(Array(VarlinkCall(method: method, parameters: parameters).serialized().utf8) + [0])
        let message = try self.nextMessage(from: socket)
        do {
            return try VarlinkReply(message: message)
        } catch {
            throw .invalidReply(error)
        }
    }

    /// Closes the connection; later calls throw ``VarlinkClientError/connectionClosed``.
    public func close() {
        self.socket = nil
    }

    /// Reads until a NUL ends the next message, and returns that message without it.
    private func nextMessage(from socket: UnixSocket) throws(VarlinkClientError) -> ArraySlice<UInt8> {
        var scanned = 0
        while true {
            if let nul = self.received[scanned...].firstIndex(of: 0) {
                let message = self.received[..<nul]
                self.received.removeSubrange(...nul)
                return message
            }
            scanned = self.received.count
            if scanned > self.maxReplySize { throw .replyTooLarge(limit: self.maxReplySize) }
            let chunk = try socket.receive(capacity: 64 * 1024)
            if chunk.isEmpty { throw .connectionClosed }
            self.received += chunk
        }
    }
}
