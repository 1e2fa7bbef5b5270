import NIOCore

extension ChannelPipeline.SynchronousOperations {
    /// Adds what serves Varlink on an accepted connection: a ``VarlinkFrameDecoder`` and a
    /// ``VarlinkConnectionHandler`` (which frames its replies itself). Call it from the child channel initializer, after
    /// reading the peer's credentials into `connection`.
    ///
    /// - Parameters:
    ///   - maxMessageSize: Largest call accepted, in bytes (default 64 KiB).
    ///   - maxInFlight: Most unfinished calls on the connection (default 16).
    public func addVarlinkServerHandlers(
        service: any VarlinkService,
        info: VarlinkServiceInfo,
        connection: VarlinkConnectionContext,
        maxMessageSize: Int = VarlinkFrameDecoder.defaultMaxMessageSize,
        maxInFlight: Int = VarlinkConnectionHandler.defaultMaxInFlight
    ) throws {
        try self.addHandler(ByteToMessageHandler(VarlinkFrameDecoder(maxMessageSize: maxMessageSize)))
        try self.addHandler(
            VarlinkConnectionHandler(service: service, info: info, connection: connection, maxInFlight: maxInFlight)
        )
    }
}
