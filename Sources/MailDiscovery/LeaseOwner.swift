/// Who holds a lease: a local user (the peer uid of the socket) and the client connection
/// that acquired it, so that the lease dies with that connection.
public struct LeaseOwner: Hashable, Sendable {
    public var uid: UInt32
    public var connection: UInt64
    public init(uid: UInt32, connection: UInt64) {
        self.uid = uid
        self.connection = connection
    }
}
